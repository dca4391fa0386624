// Runs the chart's Redis configuration for real, on this machine's
// redis-server 7.0 (the version the chart's image carries): a pod's init.sh
// from the rendered ConfigMap, its /config, /conf and /secret mapped into a
// scratch folder, then redis-server or redis-sentinel on the files it wrote.
// Waits are bounded waits on a condition (a reply), never plain sleeps.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { assert, run, tmp } from "./lib.mjs";

export const password = "test-password-0123456789";

const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// A free TCP port (the kernel's pick, released again).
export function freePort() {
  const out = run(process.execPath, ["-e",
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"]);
  return Number(out.stdout.trim());
}

// Writes the ConfigMap's files and the password where a pod mounts them,
// runs init.sh as pod `podName`, and returns the folder and the conf it wrote.
export function initPod(configMap, podName) {
  const dir = fs.mkdtempSync(path.join(tmp, `${podName}-`));
  for (const sub of ["config", "conf", "secret", "data"]) fs.mkdirSync(path.join(dir, sub));
  const local = (text) => text.replaceAll("/config/", `${dir}/config/`).replaceAll("/conf/", `${dir}/conf/`)
    .replaceAll("/secret/", `${dir}/secret/`).replaceAll("dir /data", `dir ${dir}/data`);
  for (const [name, text] of Object.entries(configMap.data)) fs.writeFileSync(path.join(dir, "config", name), local(text));
  fs.writeFileSync(path.join(dir, "secret", "password"), password);
  const out = run("sh", [path.join(dir, "config", "init.sh")],
    { env: { PATH: process.env.PATH, POD_NAME: podName, POD_NAMESPACE: "signaling" }, timeout: 30000 });
  assert(out.status === 0, `init.sh as ${podName}: ${out.stderr}`);
  const read = (f) => (fs.existsSync(path.join(dir, "conf", f)) ? fs.readFileSync(path.join(dir, "conf", f), "utf8") : null);
  return { dir, redisConf: read("redis.conf"), sentinelConf: read("sentinel.conf"), script: (name) => path.join(dir, "config", name) };
}

// Started processes, stopped by stopAll (each by its own pid).
const started = [];
export function start(cmd, args) {
  // Output to a file: the checks are synchronous, nothing would drain a pipe.
  const logFile = path.join(tmp, `${path.basename(cmd)}-${started.length}.log`);
  const fd = fs.openSync(logFile, "w");
  const child = spawn(cmd, args, { stdio: ["ignore", fd, fd] });
  fs.closeSync(fd);
  started.push(child);
  return { child, log: () => fs.readFileSync(logFile, "utf8") };
}
export function stopAll() {
  for (const c of started.splice(0)) c.kill("SIGKILL");
}

// redis-cli against 127.0.0.1:port; auth: with the password.
export function cli(port, args, { auth = true } = {}) {
  const env = { PATH: process.env.PATH, ...(auth ? { REDISCLI_AUTH: password } : {}) };
  const out = run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], { env, timeout: 5000 });
  return (out.stdout + out.stderr).trim();
}

// Polls until fn() is truthy, at most `ms`; returns its last value. `what`
// (text, or a function giving it when the wait fails) names the condition.
export function waitFor(fn, ms, what) {
  const deadline = Date.now() + ms;
  let v;
  while (!(v = fn())) {
    if (Date.now() >= deadline) throw new Error(`no ${typeof what === "function" ? what() : what} within ${ms} ms`);
    pause(50);
  }
  return v;
}
