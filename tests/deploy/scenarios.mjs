// The chart's value sets (scenarios) and the renderer: render/ (a faithful
// Helm engine built by run.sh, binary in RENDER) renders the chart for each,
// giving {values, documents: [{template, object}], notes} or {error}.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { repo, run, tmp } from "./lib.mjs";

const renderBin = process.env.RENDER;

export function render(values, { chart = "helm/signaling", apiVersions = "" } = {}) {
  const file = path.join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, YAML.stringify(values ?? {}));
  const args = ["-chart", path.join(repo, chart), "-f", file, "-name", "sig", "-namespace", "signaling"];
  if (apiVersions) args.push("-api-versions", apiVersions);
  const out = run(renderBin, args, { maxBuffer: 64 << 20 });
  if (out.status !== 0) return { error: out.stderr.trim() };
  return JSON.parse(out.stdout);
}
export const docsOf = (r) => r.documents.map((d) => ({ where: d.template, obj: d.object }));

export const pem = (what) => `-----BEGIN ${what}-----\nPLACEHOLDER\n-----END ${what}-----\n`;
export const required = {
  gateway: { allowedOrigins: ["https://app.example.com"], tls: { existingSecret: "gw-tls" } },
  grpc: { tls: { gateway: { existingSecret: "gw-grpc" }, matching: { existingSecret: "m-grpc" }, auth: { existingSecret: "a-grpc" } } },
  auth: { keys: [{ kid: "prod-1", alg: "ES256", file: "prod-1.pub.pem" }], keySecret: { existingSecret: "auth-keys" } },
  redis: { auth: { existingSecret: "redis-auth" } },
};
const tlsFiles = { cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY"), ca: pem("CERTIFICATE") };
export const merge = (...xs) => xs.reduce((a, b) => {
  const out = structuredClone(a);
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === "object" && !Array.isArray(v) && out[k] && typeof out[k] === "object" ? merge(out[k], v) : v;
  }
  return out;
});
export const scenarios = {
  // Defaults, with only the required values supplied (existing Secrets):
  // cluster mode, three replicas, the chart's Redis (one node).
  "defaults": required,
  // Secrets created from values.
  "secrets from values": merge(required, {
    gateway: { tls: { existingSecret: "", cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") } },
    grpc: { tls: { gateway: { existingSecret: "", ...tlsFiles }, matching: { existingSecret: "", ...tlsFiles }, auth: { existingSecret: "", ...tlsFiles } } },
    auth: { keySecret: { existingSecret: "", files: { "prod-1.pub.pem": pem("PUBLIC KEY") } } },
    redis: { auth: { existingSecret: "", password: "placeholder-not-a-real-password" } },
  }),
  // TLS off: a TLS-terminating proxy in front, plaintext gRPC, no HPA.
  "tls off": merge(required, {
    gateway: { tls: { enabled: false }, trustedProxies: ["10.244.0.0/16"], autoscaling: { enabled: false }, service: { type: "ClusterIP" } },
    grpc: { insecure: true },
  }),
  "serviceMonitor on": merge(required, { serviceMonitor: { enabled: true } }),
  // One replica alone, no Redis (the embedded mode).
  "alone": merge(required, { matching: { replicas: 1, cluster: { enabled: false } } }),
  // The chart's Redis behind Sentinel: three nodes, a Sentinel beside each.
  "sentinel": merge(required, { redis: { sentinel: { enabled: true } } }),
  // An external Redis, its ACL user and password from an existing Secret.
  "external redis": merge(required, {
    redis: { enabled: false, auth: { existingSecret: "" } },
    matching: { cluster: { redis: "redis.example.internal:6380", user: "matching", passwordSecret: { name: "ext-redis", key: "pw" } } },
    networkPolicy: { externalRedis: { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }] } },
  }),
  // External Sentinels, their primaries on a port of their own.
  "external sentinels": merge(required, {
    redis: { enabled: false, auth: { existingSecret: "" } },
    matching: { cluster: { sentinels: ["redis-0.redis:26379", "redis-1.redis:26379"], user: "matching", passwordSecret: { name: "redis-auth", key: "password" } } },
    networkPolicy: { externalRedis: { ports: [26379, 6390] } },
  }),
  // Callers named: two gateways' identities, an internal service, an admin.
  "callers named": merge(required, {
    matching: { callers: { relay: ["gw-a.example", "gw-b.example"], session: ["spiffe://cluster.local/ns/app/sa/recorder"], admin: ["ops-admin"] } },
  }),
};

// Renders every scenario, one check each; the map holds those that rendered.
export function renderScenarios(check, assert) {
  const rendered = {};
  for (const [name, values] of Object.entries(scenarios)) {
    check(`chart renders: ${name}`, () => {
      const r = render(values, { apiVersions: "monitoring.coreos.com/v1" });
      assert(!r.error, r.error);
      rendered[name] = r;
    });
  }
  return rendered;
}
