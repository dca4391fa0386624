// The chart in cluster mode, value by value: three matching replicas behind a
// headless Service and a PDB by default, one alone without Redis; the chart's
// Redis (one node, or three behind Sentinel) and what matching is told of
// it; an external Redis with its Secret and no Redis objects; and the Redis
// configuration run for real on redis-server 7.0. (Every scenario also
// passes the Kubernetes schema and the shared properties in chart.test.mjs.)
// Run through run.sh (RENDER names the renderer).
import fs from "node:fs";
import { assert, check, collect, done, envOf, eq, problems, run } from "./lib.mjs";
import { cli, freePort, initPod, password, start, stopAll, waitFor } from "./redis_run.mjs";
import { merge, render, required, scenarios } from "./scenarios.mjs";

const rendered = {};
for (const name of ["defaults", "alone", "sentinel", "external redis", "external sentinels"]) {
  const r = render(scenarios[name]);
  check(`chart renders: ${name}`, () => assert(!r.error, r.error));
  rendered[name] = r.error ? { documents: [] } : r;
}
const objects = (r, kind) => r.documents.map((d) => d.object).filter((o) => !kind || o.kind === kind);
const named = (r, kind, suffix) => objects(r, kind).find((o) => o.metadata.name === `sig-signaling-${suffix}`);
const component = (o) => o.metadata.labels?.["app.kubernetes.io/component"];
const pod = (r, suffix) => named(r, "Deployment", suffix).spec.template.spec;
const env = (r, suffix) => envOf(pod(r, suffix).containers[0]);
const redisObjects = (r) => objects(r).filter((o) => component(o) === "redis").map((o) => `${o.kind}/${o.metadata.name}`).sort();
const headless = "sig-signaling-matching-headless";

check("chart (defaults): 3 matching replicas, a PDB of maxUnavailable 1 on their pods, gateways at the headless Service", () => {
  const m = named(rendered.defaults, "Deployment", "matching");
  eq(m.spec.replicas, 3, "matching replicas");
  const pdb = named(rendered.defaults, "PodDisruptionBudget", "matching");
  eq([pdb?.spec.maxUnavailable, pdb?.spec.selector.matchLabels], [1, m.spec.selector.matchLabels], "PDB");
  const svc = named(rendered.defaults, "Service", "matching-headless");
  eq([svc?.spec.clusterIP, svc?.spec.publishNotReadyAddresses, svc?.spec.ports.map((p) => p.port)], ["None", false, [7001]], "headless Service");
  eq(env(rendered.defaults, "gateway").SIGNALING_MATCHING_TARGET, `dns:///${headless}.signaling.svc.cluster.local:7001`, "gateway target");
  assert(/Matching runs 3 replicas/.test(rendered.defaults.notes) && rendered.defaults.notes.includes(headless), "NOTES tell the replicas and the headless name");
});

check("chart: matching.replicas, the PDB and the cluster domain are values", () => {
  const r = render(merge(required, { clusterDomain: "corp.internal", matching: { replicas: 5, pdb: { enabled: false } } }));
  assert(!r.error, r.error);
  eq(named(r, "Deployment", "matching").spec.replicas, 5, "replicas");
  eq(named(r, "PodDisruptionBudget", "matching"), undefined, "PDB off");
  eq(env(r, "gateway").SIGNALING_MATCHING_TARGET, `dns:///${headless}.signaling.svc.corp.internal:7001`, "gateway target");
});

check("chart (alone): one replica, Recreate, no Redis, no headless Service, no matching PDB", () => {
  const r = rendered.alone;
  const m = named(r, "Deployment", "matching");
  eq([m.spec.replicas, m.spec.strategy.type], [1, "Recreate"], "matching");
  eq(redisObjects(r), [], "Redis objects");
  eq([named(r, "Service", "matching-headless"), named(r, "PodDisruptionBudget", "matching")], [undefined, undefined], "headless, PDB");
  const e = env(r, "matching");
  eq([e.SIGNALING_REDIS, e.SIGNALING_REDIS_SENTINELS, e.SIGNALING_ADVERTISE], [undefined, undefined, undefined], "no cluster settings");
  eq(env(r, "gateway").SIGNALING_MATCHING_TARGET, "sig-signaling-matching.signaling.svc:7001", "gateway target");
  assert(/Matching runs ONE replica/.test(r.notes), "NOTES");
});

check("chart (defaults): the chart's Redis, one node; matching calls its Service with the password of its Secret", () => {
  const r = rendered.defaults;
  eq(redisObjects(r), ["ConfigMap/sig-signaling-redis", "NetworkPolicy/sig-signaling-redis", "Service/sig-signaling-redis",
    "Service/sig-signaling-redis-headless", "StatefulSet/sig-signaling-redis"], "Redis objects");
  const sts = named(r, "StatefulSet", "redis");
  eq([sts.spec.replicas, sts.spec.template.spec.containers.map((c) => c.name)], [1, ["redis"]], "one node");
  assert(/^redis:7\.0\./.test(sts.spec.template.spec.containers[0].image), `redis-server 7.0: ${sts.spec.template.spec.containers[0].image}`);
  eq(sts.spec.template.spec.volumes.find((v) => v.name === "secret").secret.secretName, "redis-auth", "Redis reads the existing Secret");
  const e = env(r, "matching");
  eq([e.SIGNALING_REDIS, e.SIGNALING_REDIS_SENTINELS, e.SIGNALING_REDIS_USER, e.SIGNALING_REDIS_PASSWORD_FILE, e.SIGNALING_ADVERTISE],
    ["sig-signaling-redis.signaling.svc:6379", "", "", "/etc/signaling/redis/password", "$(POD_IP):7001"], "matching's Redis settings");
  const vol = pod(r, "matching").volumes.find((v) => v.name === "redis-password");
  eq(vol?.secret?.secretName, "redis-auth", "matching reads the same Secret");
  eq(named(r, "PodDisruptionBudget", "redis"), undefined, "no PDB on the single Redis pod");
});

check("chart (sentinel): 3 Redis nodes with a Sentinel each, a PDB, matching asks the Sentinels for the primary", () => {
  const r = rendered.sentinel;
  const sts = named(r, "StatefulSet", "redis");
  eq([sts.spec.replicas, sts.spec.template.spec.containers.map((c) => c.name)], [3, ["redis", "sentinel"]], "nodes");
  eq(named(r, "PodDisruptionBudget", "redis")?.spec.maxUnavailable, 1, "Redis PDB");
  eq(named(r, "Service", "redis"), undefined, "no single-node Service");
  eq(named(r, "Service", "redis-headless").spec.ports.map((p) => p.port), [6379, 26379], "headless ports");
  const e = env(r, "matching");
  const host = (i) => `sig-signaling-redis-${i}.sig-signaling-redis-headless.signaling.svc.cluster.local:26379`;
  eq([e.SIGNALING_REDIS, e.SIGNALING_REDIS_SENTINELS, e.SIGNALING_REDIS_MASTER], ["", [0, 1, 2].map(host).join(","), "signaling"], "matching's Redis settings");
  const np = named(r, "NetworkPolicy", "matching");
  const redisRule = np.spec.egress.find((x) => x.to?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "redis");
  eq(redisRule?.ports.map((p) => p.port), [6379, 26379], "matching reaches the nodes and the Sentinels");
  assert(/3 nodes behind Sentinel/.test(r.notes), "NOTES");
});

for (const name of ["external redis", "external sentinels"]) {
  check(`chart (${name}): no Redis objects; matching names it, with its user and the existing Secret`, () => {
    const r = rendered[name];
    const c = scenarios[name].matching.cluster;
    eq(redisObjects(r), [], "Redis objects");
    const e = env(r, "matching");
    eq([e.SIGNALING_REDIS, e.SIGNALING_REDIS_SENTINELS, e.SIGNALING_REDIS_USER, e.SIGNALING_REDIS_PASSWORD_FILE],
      [c.redis ?? "", (c.sentinels ?? []).join(","), "matching", `/etc/signaling/redis/${c.passwordSecret.key}`], "matching's Redis settings");
    const vol = pod(r, "matching").volumes.find((v) => v.name === "redis-password");
    eq([vol?.secret?.secretName, vol?.secret?.items], [c.passwordSecret.name, [{ key: c.passwordSecret.key, path: c.passwordSecret.key }]], "the Secret's key");
    assert(!objects(r, "Secret").some((s) => s.metadata.name === c.passwordSecret.name), "the chart does not create the external Secret");
  });
}

check("chart (external redis / sentinels): matching may reach only the external Redis' ports (and peers if named)", () => {
  const rule = (r) => named(r, "NetworkPolicy", "matching").spec.egress.find((x) => x.ports.some((p) => p.port !== 53 && p.port !== 7001 && p.port !== 7002));
  const ext = rule(rendered["external redis"]);
  eq([ext?.to, ext?.ports.map((p) => p.port)], [[{ ipBlock: { cidr: "10.20.0.0/16" } }], [6380]], "external Redis: its peers and port");
  const sen = rule(rendered["external sentinels"]);
  eq([sen?.to, sen?.ports.map((p) => p.port)], [undefined, [26379, 6390]], "external Sentinels: the ports named");
  const derived = render(merge(scenarios["external sentinels"], { networkPolicy: { externalRedis: { ports: [] } } }));
  eq(rule(derived)?.ports.map((p) => p.port), [26379, 6379], "ports derived from the Sentinels, plus the primaries' 6379");
});

// ---------------------------------------------------------------- on redis-server 7.0
const configMap = (r) => named(r, "ConfigMap", "redis");

check("chart's Redis: every script parses (sh -n)", () => {
  collect(() => {
    for (const r of [rendered.defaults, rendered.sentinel]) {
      for (const [name, text] of Object.entries(configMap(r).data).filter(([n]) => n.endsWith(".sh"))) {
        const out = run("sh", ["-n", "-c", text]);
        if (out.status !== 0) problems.push(`${name}: ${out.stderr}`);
      }
    }
  });
});

check("chart's Redis (one node) runs: password required, noeviction, nothing saved, ping.sh ready", () => {
  try {
    const p = initPod(configMap(rendered.defaults), "sig-signaling-redis-0");
    assert(!/replicaof/.test(p.redisConf) && !p.sentinelConf, "a lone node follows nobody and has no Sentinel");
    const port = freePort();
    const redis = start("redis-server", [`${p.dir}/conf/redis.conf`, "--port", String(port), "--dir", `${p.dir}/data`]);
    waitFor(() => cli(port, ["ping"]) === "PONG", 10000, () => `PONG from redis-server (${redis.log()})`);
    assert(/NOAUTH/.test(cli(port, ["ping"], { auth: false })), "a client without the password is refused");
    const get = (k) => cli(port, ["config", "get", k]).split("\n")[1] ?? "";  // "save" is empty: trimmed away
    eq([get("maxmemory-policy"), get("save"), get("appendonly"), get("maxmemory")], ["noeviction", "", "no", "805306368"], "config");
    // ping.sh names the chart's port; this node listens on a free one.
    const ping = () => run("sh", ["-c", configMap(rendered.defaults).data["ping.sh"]
      .replaceAll("/secret/", `${p.dir}/secret/`).replace("-p 6379", `-h 127.0.0.1 -p ${port}`)]).status;
    eq(ping(), 0, "ping.sh with the password");
    fs.writeFileSync(`${p.dir}/secret/password`, "wrong-password-0123456789");
    assert(ping() !== 0, "ping.sh with a wrong password is not ready");
  } finally { stopAll(); }
});

check("chart's Redis (sentinel) runs: pod 1 replicates pod 0 with the password, a Sentinel monitors them, a stopping primary hands over (preStop)", () => {
  try {
    const cm = configMap(rendered.sentinel);
    const p0 = initPod(cm, "sig-signaling-redis-0"), p1 = initPod(cm, "sig-signaling-redis-1");
    const host0 = "sig-signaling-redis-0.sig-signaling-redis-headless.signaling.svc.cluster.local";
    assert(!/replicaof/.test(p0.redisConf), "pod 0 starts as the primary when no Sentinel answers");
    assert(p1.redisConf.includes(`replicaof ${host0} 6379`), "pod 1 follows pod 0");
    assert(p0.sentinelConf.includes(`sentinel monitor signaling ${host0} 6379 2`), "the Sentinel monitors pod 0, quorum 2");
    // Here every pod is 127.0.0.1 on a port of its own: the DNS names and ports are mapped.
    const [r0, r1, s0] = [freePort(), freePort(), freePort()];
    start("redis-server", [`${p0.dir}/conf/redis.conf`, "--port", String(r0), "--dir", `${p0.dir}/data`, "--replica-announce-ip", "127.0.0.1"]);
    waitFor(() => cli(r0, ["ping"]) === "PONG", 10000, "PONG from pod 0");
    start("redis-server", [`${p1.dir}/conf/redis.conf`, "--port", String(r1), "--dir", `${p1.dir}/data`,
      "--replicaof", "127.0.0.1", String(r0), "--replica-announce-ip", "127.0.0.1"]);
    waitFor(() => /master_link_status:up/.test(cli(r1, ["info", "replication"])), 15000, "replication link up (masterauth)");
    fs.writeFileSync(`${p0.dir}/conf/sentinel.conf`, p0.sentinelConf.replace(`monitor signaling ${host0} 6379`, `monitor signaling 127.0.0.1 ${r0}`)
      .replace(/^sentinel announce-ip .*$/m, "sentinel announce-ip 127.0.0.1"));
    const sentinel = start("redis-sentinel", [`${p0.dir}/conf/sentinel.conf`, "--port", String(s0)]);
    waitFor(() => cli(s0, ["sentinel", "get-master-addr-by-name", "signaling"], { auth: false }) === `127.0.0.1\n${r0}`, 10000,
      () => `the primary from the Sentinel, asked without a password as matching does (${sentinel.log()})`);
    const replicas = () => cli(s0, ["sentinel", "replicas", "signaling"], { auth: false });
    waitFor(() => replicas().includes(String(r1)), 20000, () => `the replica seen by the Sentinel (auth-pass) (${sentinel.log()})`);
    // Pod 0 stopping: its preStop hands the primary over, and returns once
    // the Sentinel names the other (pod 0 is 127.0.0.1:r0 here).
    const prestop = cm.data["prestop.sh"].replaceAll("/secret/", `${p0.dir}/secret/`).replace("port=6379", `port=${r0}`)
      .replace(/^self=.*$/m, "self=127.0.0.1").replaceAll(/-h "\$host" -p 26379/g, `-h 127.0.0.1 -p ${s0}`);
    const out = run("sh", ["-c", prestop], { env: { PATH: process.env.PATH, POD_NAME: "sig-signaling-redis-0", POD_NAMESPACE: "signaling" }, timeout: 30000 });
    eq(out.status, 0, `prestop.sh: ${out.stdout}${out.stderr}`);
    eq([cli(s0, ["sentinel", "get-master-addr-by-name", "signaling"], { auth: false }), cli(r1, ["role"]).split("\n")[0]],
      [`127.0.0.1\n${r1}`, "master"], "the primary after pod 0's preStop");
  } finally { stopAll(); }
});

done("chart-cluster");
