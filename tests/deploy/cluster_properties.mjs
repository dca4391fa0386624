// What cluster mode needs of a set of objects (the chart's output or
// deploy/k8s), followed from the settings the pods really get: gateways dial
// a headless Service of the ready matching replicas at the port those
// advertise; a PDB takes one replica at a time; the Redis address or
// Sentinels name pods that exist and listen there; the password file is a
// mounted Secret, the same one the chart's Redis reads.
import { assert, check, collect, envOf, eq, matches, problems } from "./lib.mjs";

const component = (o) => o.metadata.labels?.["app.kubernetes.io/component"];
const podSpec = (w) => w.spec.template.spec;

// Cluster mode is on when matching is given a Redis (the binary's rule).
export function clusterMode(matching) {
  const env = envOf(podSpec(matching).containers[0]);
  return Boolean(env.SIGNALING_REDIS || env.SIGNALING_REDIS_SENTINELS);
}

// host:port -> {host, port}.
const endpoint = (text) => {
  const m = text.match(/^(.+):(\d+)$/);
  assert(m, `not host:port: ${text}`);
  return { host: m[1], port: Number(m[2]) };
};

export function checkClusterProperties(objs, label) {
  const of = (kind) => objs.filter((o) => o.kind === kind);
  const byComponent = (kind, c) => of(kind).filter((o) => component(o) === c);
  const [matching] = byComponent("Deployment", "matching");
  const [gateway] = byComponent("Deployment", "gateway");
  const mctr = podSpec(matching).containers[0];
  const menv = envOf(mctr);
  const selectsMatching = (selector) => matches(selector, matching.spec.template.metadata.labels);
  const grpcPort = mctr.ports.find((p) => p.name === "grpc").containerPort;
  const namespaced = (o, ns) => o.metadata.namespace === undefined || o.metadata.namespace === ns;

  check(`${label}: a PodDisruptionBudget lets one matching replica at a time go`, () => {
    const pdbs = of("PodDisruptionBudget").filter((p) => selectsMatching(p.spec.selector.matchLabels));
    eq(pdbs.length, 1, "PDBs selecting the matching pods");
    eq(pdbs[0].spec.maxUnavailable, 1, "maxUnavailable");
  });

  check(`${label}: gateways dial a headless Service of the ready replicas, at the port each advertises`, () => {
    const target = envOf(podSpec(gateway).containers[0]).SIGNALING_MATCHING_TARGET;
    const m = target?.match(/^dns:\/\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$/);
    assert(m, `gateway --matching_target ${target} is not dns:///<service>.<namespace>.svc.cluster.local:<port>`);
    const [, name, ns, port] = m;
    const svc = of("Service").find((s) => s.metadata.name === name && namespaced(s, ns));
    assert(svc, `no Service ${name} for ${target}`);
    eq(svc.spec.clusterIP, "None", `${name}: clusterIP (headless: one record per pod)`);
    assert(svc.spec.publishNotReadyAddresses !== true, `${name} publishes replicas that are not ready`);
    assert(selectsMatching(svc.spec.selector), `${name} does not select the matching pods`);
    const sp = svc.spec.ports.find((p) => p.port === Number(port));
    assert(sp, `${name} has no port ${port}`);
    // A headless Service's records carry the pod's port: the target's must be the one served.
    eq(sp.targetPort === "grpc" ? grpcPort : sp.targetPort, Number(port), `${name} port ${port} reaches the container port`);
    eq(grpcPort, Number(menv.SIGNALING_LISTEN.split(":").pop()), "matching listens on its grpc port");
    eq(menv.SIGNALING_ADVERTISE, `$(POD_IP):${port}`, "each replica advertises its pod IP and that port");
    const env = mctr.env.map((e) => e.name);
    const podIp = mctr.env.find((e) => e.name === "POD_IP");
    eq(podIp?.valueFrom?.fieldRef?.fieldPath, "status.podIP", "POD_IP");
    assert(env.indexOf("POD_IP") < env.indexOf("SIGNALING_ADVERTISE"), "POD_IP is defined before SIGNALING_ADVERTISE uses it");
  });

  // The chart's (or the manifests') own Redis: every address matching is given
  // names a pod of the Redis StatefulSet listening there. An external Redis
  // (no StatefulSet) is the operator's to provide.
  const [redisSet] = byComponent("StatefulSet", "redis");
  if (!redisSet) return;
  const ports = (name) => podSpec(redisSet).containers.flatMap((c) => c.ports ?? []).filter((p) => p.name === name).map((p) => p.containerPort);

  check(`${label}: matching's Redis address or Sentinels are pods of the Redis StatefulSet, listening there`, () => {
    collect(() => {
      if (menv.SIGNALING_REDIS) {
        const { host, port } = endpoint(menv.SIGNALING_REDIS);
        const [name, ns] = host.split(".");
        const svc = of("Service").find((s) => s.metadata.name === name && namespaced(s, ns));
        if (!/^[a-z0-9-]+\.[a-z0-9-]+\.svc$/.test(host) || !svc) problems.push(`--redis ${host}: no such Service`);
        else {
          if (!matches(svc.spec.selector, redisSet.spec.template.metadata.labels)) problems.push(`Service ${name} does not select the Redis pods`);
          const sp = svc.spec.ports.find((p) => p.port === port);
          const target = typeof sp?.targetPort === "string" ? ports(sp.targetPort)[0] : sp?.targetPort ?? sp?.port;
          if (!sp || !ports("redis").includes(target)) problems.push(`Service ${name}: port ${port} does not reach Redis' port`);
        }
        if (redisSet.spec.replicas !== 1) problems.push(`--redis names one node of ${redisSet.spec.replicas} (use the Sentinels)`);
      } else {
        const sentinels = menv.SIGNALING_REDIS_SENTINELS.split(",").map(endpoint);
        if (sentinels.length !== redisSet.spec.replicas) problems.push(`${sentinels.length} sentinels for ${redisSet.spec.replicas} Redis pods`);
        const headless = of("Service").find((s) => s.metadata.name === redisSet.spec.serviceName);
        if (!headless || headless.spec.clusterIP !== "None") problems.push(`no headless Service ${redisSet.spec.serviceName} naming the Redis pods`);
        else if (headless.spec.publishNotReadyAddresses !== true) problems.push(`${headless.metadata.name}: starting pods must find each other (publishNotReadyAddresses)`);
        sentinels.forEach(({ host, port }, i) => {
          const want = `${redisSet.metadata.name}-${i}.${redisSet.spec.serviceName}.`;
          if (!host.startsWith(want) || !/\.svc\.cluster\.local$/.test(host)) problems.push(`sentinel ${host} is not pod ${want}..svc.cluster.local`);
          if (!ports("sentinel").includes(port)) problems.push(`sentinel ${host}: port ${port} is not a Sentinel's`);
        });
        if (!menv.SIGNALING_REDIS_MASTER) problems.push("no --redis_master");
      }
    });
  });

  check(`${label}: the Redis password reaches matching and Redis from the same Secret`, () => {
    const file = menv.SIGNALING_REDIS_PASSWORD_FILE;
    assert(file, "matching has no --redis_password_file");
    const mount = mctr.volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
    assert(mount?.readOnly, `${file} is not on a read-only mount`);
    const vol = podSpec(matching).volumes.find((v) => v.name === mount.name);
    const item = vol?.secret?.items?.find((i) => `${mount.mountPath}/${i.path}` === file);
    assert(item, `${file} is not an item of a Secret volume`);
    const theirs = podSpec(redisSet).volumes.filter((v) => v.secret?.secretName === vol.secret.secretName);
    assert(theirs.some((v) => v.secret.items?.some((i) => i.key === item.key)), `Redis does not read key ${item.key} of Secret ${vol.secret.secretName}`);
  });
}
