// The deploy checks' shared harness: check/assert/eq, the repository's
// paths, the three services' binaries and their real flag parser. Every
// *.test.mjs module imports it and ends with done(), which prints the line
// run.sh adds up ("<module>: N passed, M failed").
//
// Env: BUILD_DIR (default build), KEEP_TMP=1 keeps the scratch folder,
// TIMING=1 prints each check's time.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
export const buildDir = path.resolve(repo, process.env.BUILD_DIR || "build");
export const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));

// ---------------------------------------------------------------- harness
let passed = 0, failed = 0;
export function check(name, fn) {
  const start = Date.now();
  try {
    fn();
    passed++;
    console.log(`ok   ${name}${process.env.TIMING ? ` (${Date.now() - start} ms)` : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.message).split("\n").join("\n     ")}`);
  }
}
export function assert(cond, msg) { if (!cond) throw new Error(msg); }
export function eq(a, b, msg) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${msg}: got ${x}, want ${y}`);
}
export const problems = [];  // collect, then fail once with all of them
export function collect(fn) { problems.length = 0; fn(); assert(problems.length === 0, problems.join("\n")); }
export function done(module) {
  if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`${module}: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

export const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: "utf8", ...opts });
export const read = (p) => fs.readFileSync(path.join(repo, p), "utf8");
export const loadYamlDocs = (p) =>
  YAML.parseAllDocuments(read(p)).map((d) => d.toJS()).filter((o) => o && Object.keys(o).length);
export const envOf = (ctr) => Object.fromEntries((ctr.env ?? []).map((e) => [e.name, e.value]));
export const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// ---------------------------------------------------------------- the services
// Component -> binary, ports, and the Dockerfile that ships it.
export const components = {
  gateway: { bin: "gateway/signaling-gateway", admin: 9100, grpc: null, public: 8443 },
  matching: { bin: "services/matching/signaling-matching", admin: 9101, grpc: 7001 },
  auth: { bin: "services/auth/signaling-auth", admin: 9102, grpc: 7002 },
};
export const binPath = (c) => path.join(buildDir, components[c].bin);
const haveBinaries = Object.keys(components).every((c) => fs.existsSync(binPath(c)));
export const needBinaries = () => { if (!haveBinaries) throw new Error(`no binaries in ${buildDir} (run scripts/build.sh)`); };

// The project's own flags of a binary, from --helpfull (sections of files
// under services/, gateway/, common/).
const flagCache = {};
export function projectFlags(c) {
  if (flagCache[c]) return flagCache[c];
  const out = run(binPath(c), ["--helpfull"], { env: { PATH: process.env.PATH } });
  if (out.error) throw new Error(`cannot run ${binPath(c)}: ${out.error.message}`);
  const flags = new Set();
  let ours = false;
  for (const line of (out.stdout + out.stderr).split("\n")) {
    const section = line.match(/^\s*Flags from (.*):$/);
    if (section) { ours = /(services|gateway|common)\//.test(section[1]); continue; }
    const flag = line.match(/^ {4}--([a-z0-9_]+)/);
    if (ours && flag) flags.add(flag[1]);
  }
  assert(flags.size > 5, `could not read the flags of ${c} from --helpfull`);
  return (flagCache[c] = flags);
}

// Runs the binary with exactly these SIGNALING_* variables and --helpfull:
// the real flag parser reads every variable first and stops at a bad value
// ("bad setting ..."), so this proves names and values are accepted, without
// starting the service. Other variables (POD_IP) are the pod's own.
export function checkSettings(c, env, where) {
  const flags = projectFlags(c);
  const ours = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("SIGNALING_")));
  for (const name of Object.keys(ours)) {
    const flag = name.slice("SIGNALING_".length).toLowerCase();
    if (!flags.has(flag)) problems.push(`${where}: ${name} is not a flag of signaling-${c}`);
  }
  const out = run(binPath(c), ["--helpfull"], { env: { PATH: process.env.PATH, ...ours } });
  if (out.error) throw new Error(`cannot run ${binPath(c)}: ${out.error.message}`);
  const text = out.stdout + out.stderr;
  if (/bad setting/.test(text)) problems.push(`${where}: ${text.match(/bad setting.*/)[0]}`);
}
