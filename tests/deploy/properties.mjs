// The properties both the chart's output and deploy/k8s must have: the
// workloads' shape, hardening, probes, grace periods, what Services, HPA and
// PDBs select, the NetworkPolicies and the Secrets mounted; in cluster mode
// (cluster_properties.mjs) how the replicas find each other and Redis.
// checkProperties registers one check per property for a set of objects.
import { assert, check, checkSettings, collect, envOf, eq, matches, needBinaries, problems } from "./lib.mjs";
import { checkClusterProperties, clusterMode } from "./cluster_properties.mjs";

const drainMs = (ctr) => Number(envOf(ctr).SIGNALING_DRAIN_GRACE_MS ?? 30000);
const podSpec = (w) => w.spec.template.spec;
const allContainers = (w) => [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers];

export function checkProperties(docs, label) {
  const objs = docs.map((d) => d.obj);
  const of = (kind) => objs.filter((o) => o.kind === kind);
  const deployments = of("Deployment");
  // Our three services are Deployments; Redis, when deployed, a StatefulSet.
  const workloads = [...deployments, ...of("StatefulSet")];
  const component = (o) => o.metadata.labels["app.kubernetes.io/component"];
  const selected = (selector) => workloads.find((w) => matches(selector, w.spec.template.metadata.labels));
  const matching = deployments.find((d) => component(d) === "matching");
  const cluster = matching && clusterMode(matching);

  check(`${label}: a Deployment per service; matching rolled one at a time in cluster mode, alone single and Recreate`, () => {
    eq(deployments.map(component).sort(), ["auth", "gateway", "matching"], "Deployments");
    if (cluster) {
      assert(matching.spec.replicas > 1, `cluster mode with ${matching.spec.replicas} matching replica(s)`);
      eq(matching.spec.strategy, { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, "matching strategy");
    } else {
      eq(matching.spec.replicas, 1, "matching replicas");
      eq(matching.spec.strategy?.type, "Recreate", "matching strategy");
    }
  });

  check(`${label}: pods are non-root, read-only, no privilege escalation, no capabilities, RuntimeDefault seccomp`, () => {
    collect(() => {
      for (const w of workloads) {
        const pod = podSpec(w);
        const p = pod.securityContext ?? {};
        if (p.runAsNonRoot !== true || p.seccompProfile?.type !== "RuntimeDefault") problems.push(`${w.metadata.name}: pod securityContext`);
        if (pod.automountServiceAccountToken !== false) problems.push(`${w.metadata.name}: service account token mounted`);
        for (const c of allContainers(w)) {
          const s = c.securityContext ?? {};
          if (s.runAsNonRoot !== true) problems.push(`${c.name}: runAsNonRoot`);
          if (s.readOnlyRootFilesystem !== true) problems.push(`${c.name}: readOnlyRootFilesystem`);
          if (s.allowPrivilegeEscalation !== false) problems.push(`${c.name}: allowPrivilegeEscalation`);
          if (JSON.stringify(s.capabilities?.drop) !== '["ALL"]') problems.push(`${c.name}: capabilities.drop ALL`);
          if (s.seccompProfile?.type !== "RuntimeDefault") problems.push(`${c.name}: seccompProfile`);
          if (!c.resources?.requests || !c.resources?.limits?.memory) problems.push(`${c.name}: resources`);
        }
      }
    });
  });

  check(`${label}: probes hit /readyz and /healthz on the admin port the process listens on`, () => {
    collect(() => {
      for (const d of deployments) {
        for (const c of podSpec(d).containers) {
          const admin = c.ports.find((p) => p.name === "admin");
          const env = envOf(c);
          if (!admin) { problems.push(`${c.name}: no admin port`); continue; }
          if (Number(env.SIGNALING_ADMIN_PORT) !== admin.containerPort) problems.push(`${c.name}: SIGNALING_ADMIN_PORT ${env.SIGNALING_ADMIN_PORT} != admin port ${admin.containerPort}`);
          if (env.SIGNALING_ADMIN_ADDRESS !== "0.0.0.0") problems.push(`${c.name}: admin not on 0.0.0.0`);
          for (const [probe, p] of [["readinessProbe", "/readyz"], ["livenessProbe", "/healthz"]]) {
            const h = c[probe]?.httpGet;
            if (h?.path !== p || (h.port !== "admin" && h.port !== admin.containerPort)) problems.push(`${c.name}: ${probe} is not GET ${p} on admin`);
          }
          const serving = c.name === "gateway" ? Number(env.SIGNALING_PORT) : Number(env.SIGNALING_LISTEN?.split(":").pop());
          const named = c.ports.find((p) => p.name === (c.name === "gateway" ? "public" : "grpc"));
          if (serving !== named?.containerPort) problems.push(`${c.name}: listens on ${serving}, declares ${named?.containerPort}`);
        }
      }
      // Every other container is probed too (Redis: PING, its port open).
      for (const w of workloads.filter((w) => w.kind !== "Deployment")) {
        for (const c of podSpec(w).containers) {
          if (!c.readinessProbe || !c.livenessProbe) problems.push(`${w.metadata.name}/${c.name}: no readiness or liveness probe`);
        }
      }
    });
  });

  check(`${label}: grace period outlasts preStop + drain (gateway) / + 5 s (matching, auth)`, () => {
    collect(() => {
      for (const d of deployments) {
        const pod = podSpec(d);
        const c = pod.containers[0];
        const sleep = Number(c.lifecycle?.preStop?.exec?.command?.[1]);
        if (!(sleep > 0)) problems.push(`${c.name}: no preStop sleep`);
        const drain = c.name === "gateway" ? drainMs(c) / 1000 : 5;
        if (!(pod.terminationGracePeriodSeconds > sleep + drain)) problems.push(`${c.name}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} <= ${sleep} + ${drain}`);
      }
    });
  });

  check(`${label}: Services, HPA and PDBs select the right pods and ports`, () => {
    collect(() => {
      for (const s of of("Service")) {
        const w = selected(s.spec.selector);
        if (!w) { problems.push(`Service ${s.metadata.name} selects no workload`); continue; }
        for (const p of s.spec.ports) {
          if (!podSpec(w).containers.some((c) => c.ports?.some((cp) => cp.name === p.targetPort))) problems.push(`Service ${s.metadata.name}: targetPort ${p.targetPort} is not a container port`);
        }
        if (s.spec.type === "LoadBalancer" && s.spec.ports.some((p) => p.name === "admin")) problems.push(`Service ${s.metadata.name} exposes admin publicly`);
      }
      for (const p of of("PodDisruptionBudget")) {
        const w = selected(p.spec.selector.matchLabels);
        if (!w) problems.push(`PDB ${p.metadata.name} selects nothing`);
        // With one pod a PDB could only block node drains forever or protect nothing.
        else if (w.spec.replicas === 1) problems.push(`PDB ${p.metadata.name} on the single pod of ${w.metadata.name} would block drains`);
      }
      for (const h of of("HorizontalPodAutoscaler")) {
        const d = deployments.find((d) => d.metadata.name === h.spec.scaleTargetRef.name);
        if (!d || component(d) !== "gateway") problems.push(`HPA ${h.metadata.name} does not scale the gateway`);
        else if (d.spec.replicas !== undefined) problems.push("gateway Deployment sets replicas while an HPA owns them");
      }
      if (!of("Service").some((s) => s.spec.selector["app.kubernetes.io/component"] === "gateway" && s.spec.ports.some((p) => p.name === "admin")))
        problems.push("no in-cluster Service for the gateway's admin port");
    });
  });

  check(`${label}: NetworkPolicies allow only the system's paths (gateway->matching->auth${cluster ? ", matching<->matching, matching->Redis" : ""}), public and monitoring ingress`, () => {
    const pols = of("NetworkPolicy");
    const sel = (c) => (p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/component"] === c;
    const deny = pols.find((p) => !p.spec.podSelector.matchLabels?.["app.kubernetes.io/component"]);
    assert(deny && !deny.spec.ingress && !deny.spec.egress, "a default-deny policy for all pods");
    eq(deny.spec.policyTypes, ["Ingress", "Egress"], "default deny covers both directions");
    const peers = (rule, dir) => (rule[dir] ?? []).map((p) => p.podSelector?.matchLabels?.["app.kubernetes.io/component"]).filter(Boolean);
    const from = (p) => p.spec.ingress.flatMap((r) => peers(r, "from"));
    const egressTo = (p) => p.spec.egress?.flatMap((r) => peers(r, "to"));
    const [gw, mt, au] = ["gateway", "matching", "auth"].map((c) => pols.find(sel(c)));
    assert(gw && mt && au, "a policy per component");
    assert(gw.spec.ingress.some((r) => !r.from && r.ports[0].port === "public"), "gateway public port open");
    const redisSet = workloads.find((w) => component(w) === "redis");
    const redis = Boolean(redisSet);
    eq(from(mt), cluster ? ["gateway", "matching"] : ["gateway"], "matching accepts");
    eq(from(au), ["matching"], "auth accepts only matching");
    eq(egressTo(gw), ["matching"], "gateway egress");
    eq(egressTo(mt), cluster ? ["auth", "matching", ...(redis ? ["redis"] : [])] : ["auth"], "matching egress");
    assert(!au.spec.egress, "auth has no egress");
    for (const p of [gw, mt, au]) assert(p.spec.ingress.some((r) => r.from?.[0]?.namespaceSelector && r.ports[0].port === "admin"), `${p.metadata.name}: monitoring reaches admin`);
    if (redis) {
      const rd = pols.find(sel("redis"));
      assert(rd, "a policy for the Redis pods");
      eq([...new Set(from(rd))].sort(), ["matching", "redis"], "Redis accepts matching and its own pods");
      // One node calls nobody; several replicate and their Sentinels watch each other.
      eq([...new Set(egressTo(rd))], redisSet.spec.replicas > 1 ? ["redis"] : [], "Redis egress");
    } else {
      assert(!pols.some(sel("redis")), "a Redis policy without Redis pods");
    }
  });

  check(`${label}: every Secret a pod mounts is rendered or named as existing`, () => {
    const secrets = new Set(of("Secret").map((s) => s.metadata.name));
    collect(() => {
      for (const s of of("Secret")) {
        if (s.type === "kubernetes.io/tls") {
          const keys = Object.keys({ ...s.data, ...s.stringData });
          if (!keys.includes("tls.crt") || !keys.includes("tls.key")) problems.push(`${s.metadata.name}: tls Secret without tls.crt/tls.key`);
        }
      }
      for (const w of workloads) {
        for (const v of podSpec(w).volumes ?? []) {
          if (v.secret && !secrets.has(v.secret.secretName) && !docs.existingSecrets?.has(v.secret.secretName)) problems.push(`${w.metadata.name}: Secret ${v.secret.secretName} missing`);
          if (v.configMap && !of("ConfigMap").some((c) => c.metadata.name === v.configMap.name)) problems.push(`${w.metadata.name}: ConfigMap ${v.configMap.name} missing`);
        }
      }
    });
  });

  check(`${label}: every container's settings are accepted by its binary`, () => {
    needBinaries();
    collect(() => {
      for (const d of deployments) for (const c of podSpec(d).containers) checkSettings(c.name, envOf(c), `${label} ${c.name}`);
    });
  });

  if (cluster) checkClusterProperties(objs, label);
}
