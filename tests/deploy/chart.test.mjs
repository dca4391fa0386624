// The Helm chart: the renderer against Helm's behaviour, every scenario of
// scenarios.mjs rendered, validated against the Kubernetes schema and
// values.schema.json and checked for the shared properties, and what each
// value does to the output. Run through run.sh (RENDER names the renderer).
import Ajv from "ajv";
import { assert, check, collect, components, done, envOf, eq, needBinaries, problems, projectFlags, read } from "./lib.mjs";
import { validateFields, validateSchema } from "./kube.mjs";
import { checkProperties } from "./properties.mjs";
import { docsOf, merge, render, renderScenarios, required, scenarios } from "./scenarios.mjs";

check("renderer: behaves like Helm on the engine fixture chart", () => {
  const r = render({ nested: { b: null } }, { chart: "tests/deploy/fixtures/engine" });
  assert(!r.error, r.error);
  const data = r.documents[0].object.data;
  eq(r.documents[0].object.metadata.name, "sig-engine", "include");
  eq(data.big, "1.048576e+06", "numbers are float64 as in Helm");
  eq(data.bigInt, "1048576", "int64");
  eq(data.tpl, "hello sig", "tpl");
  eq(data.yaml, "a: 1", "toYaml, and null in a values file deletes the key");
  eq(data.kubeMinor, "29", ".Capabilities.KubeVersion");
  eq(data.hasMonitoring, "false", ".Capabilities.APIVersions.Has");
  eq(data.chart, "engine-1.2.3-9.9", ".Chart");
  eq(data.missing, "", "missing keys render empty");
  eq(data.emptyListPassesRequired, "0", "required lets an empty list through, as Helm's does");
  eq(data.template, "engine/templates/configmap.yaml", ".Template.Name");
  const bad = render({ fail: true }, { chart: "tests/deploy/fixtures/engine" });
  assert(/execution error at \(engine\/templates\/configmap\.yaml:\d+:\d+\): engine: absent is required/.test(bad.error ?? ""),
    `required fails like Helm: ${bad.error}`);
});


const rendered = renderScenarios(check, assert);

check("chart refuses to render without the required values", () => {
  const cases = [
    [merge(required, { gateway: { allowedOrigins: [] } }), /gateway\.allowedOrigins is required/],
    [merge(required, { gateway: { allowedOrigins: null } }), /gateway\.allowedOrigins is required/],
    [merge(required, { gateway: { tls: { enabled: false } } }), /needs gateway\.trustedProxies/],
    [merge(required, { auth: { keys: [] } }), /auth\.keys needs at least one/],
    [merge(required, { gateway: { tls: { existingSecret: "" } } }), /gateway\.tls\.cert \(PEM\) or gateway\.tls\.existingSecret is required/],
    [merge(required, { auth: { keySecret: { existingSecret: "" } } }), /file "prod-1\.pub\.pem" of kid "prod-1" is neither/],
    [merge(required, { redis: { auth: { existingSecret: "" } } }), /redis\.auth\.existingSecret or redis\.auth\.password is required/],
    [merge(required, { matching: { cluster: { redis: "r.example:6379" } } }), /name an external Redis: set redis\.enabled=false/],
    [merge(required, { redis: { enabled: false } }), /matching\.cluster\.enabled needs Redis/],
    [merge(required, { redis: { enabled: false }, matching: { cluster: { redis: "r.example:6379", sentinels: ["s.example:26379"] } } }), /give redis or sentinels, not both/],
    [merge(required, { matching: { cluster: { enabled: false } } }), /matching\.replicas must be 1 without matching\.cluster\.enabled/],
  ];
  collect(() => {
    for (const [values, want] of cases) {
      const r = render(values);
      if (!r.error) problems.push(`rendered without error, want ${want}`);
      else if (!want.test(r.error)) problems.push(`error ${JSON.stringify(r.error)} does not match ${want}`);
    }
  });
});

check("chart in dev mode needs neither Origins nor TLS (and says so in NOTES)", () => {
  const r = render(merge(required, { gateway: { devMode: true, allowedOrigins: [], tls: { enabled: false } }, grpc: { insecure: true } }));
  assert(!r.error, r.error);
  assert(/WARNING: gateway\.devMode is on/.test(r.notes), "NOTES warns about dev mode");
});

// values.schema.json, as Helm applies it to the coalesced values.
const ajv = new Ajv({ allErrors: true, strict: false });
const validateValues = ajv.compile(JSON.parse(read("helm/signaling/values.schema.json")));
check("values.schema.json accepts the values of every scenario", () => {
  collect(() => {
    for (const [name, r] of Object.entries(rendered)) {
      if (!validateValues(r.values)) problems.push(`${name}: ${ajv.errorsText(validateValues.errors)}`);
    }
  });
});
check("values.schema.json rejects typos, wrong types, several replicas alone and a weak Redis setup", () => {
  const base = rendered.defaults?.values;
  assert(base, "defaults did not render");
  const bad = [
    merge(base, { gateway: { config: { max_conections: 5 } } }),
    merge(base, { gateway: { config: { threads: "2" } } }),
    merge(base, { gateway: { allowedOrigins: ["https://app.example.com/"] } }),
    merge(base, { matching: { replicas: 2, cluster: { enabled: false } } }),
    merge(base, { matching: { replicas: 0 } }),
    merge(base, { matching: { cluster: { enable: true } } }),
    merge(base, { redis: { sentinel: { enabled: true, replicas: 2 } } }),
    merge(base, { redis: { sentinel: { quorum: 1 } } }),
    merge(base, { redis: { maxmemory: "1G" } }),
    merge(base, { redis: { auth: { password: "short" } } }),
    merge(base, { redis: { auth: { password: "has a space and more than 16" } } }),
    merge(base, { redis: { persistence: { enabled: true } } }),
    merge(base, { networkPolicy: { externalRedis: { ports: [70000] } } }),
    merge(base, { auth: { keys: [{ kid: "a", alg: "none", file: "a.pem" }] } }),
    merge(base, { auth: { config: { leeway_s: 120 } } }),
    merge(base, { matching: { callers: { admin: ["ops,intruder"] } } }),
    merge(base, { matching: { callers: { relay: [" gateway"] } } }),
    merge(base, { matching: { callers: { everyone: ["x"] } } }),
  ];
  collect(() => bad.forEach((v, i) => { if (validateValues(v)) problems.push(`bad value set #${i} accepted`); }));
});

for (const [name, r] of Object.entries(rendered)) {
  const docs = docsOf(r);
  const v = scenarios[name];
  docs.existingSecrets = new Set([v.gateway?.tls?.existingSecret, v.auth?.keySecret?.existingSecret,
    v.matching?.cluster?.passwordSecret?.name, v.redis?.auth?.existingSecret,
    ...Object.values(v.grpc?.tls ?? {}).map((t) => t.existingSecret)].filter(Boolean));
  check(`chart (${name}): every object matches its Kubernetes schema`, () => validateSchema(docs, name));
  check(`chart (${name}): no unknown fields (tsc against the kind's type)`, () => validateFields(docs, name));
  checkProperties(docs, `chart (${name})`);
}

check("chart: ServiceMonitor absent by default, present when enabled", () => {
  const sm = (r) => r.documents.filter((d) => d.object.kind === "ServiceMonitor").map((d) => d.object);
  eq(sm(rendered.defaults).length, 0, "by default");
  const on = sm(rendered["serviceMonitor on"]);
  eq(on.length, 1, "when enabled");
  eq(on[0].spec.endpoints[0].port, "admin", "scrapes the admin port");
});

check("chart: TLS on mounts the certificates, TLS off sets none and runs plaintext gRPC", () => {
  const env = (r, c) => envOf(r.documents.find((d) => d.object.kind === "Deployment" && d.object.metadata.name.endsWith(c)).object.spec.template.spec.containers[0]);
  const on = env(rendered.defaults, "gateway"), off = env(rendered["tls off"], "gateway");
  eq([on.SIGNALING_TLS_CERT, on.SIGNALING_GRPC_INSECURE, on.SIGNALING_MATCHING_CA], ["/etc/signaling/tls/tls.crt", "false", "/etc/signaling/grpc/ca.crt"], "TLS on");
  eq([off.SIGNALING_TLS_CERT, off.SIGNALING_GRPC_INSECURE, off.SIGNALING_TRUSTED_PROXIES], [undefined, "true", "10.244.0.0/16"], "TLS off");
  eq(env(rendered.defaults, "matching").SIGNALING_TLS_CLIENT_CA, "/etc/signaling/grpc/ca.crt", "matching requires client certificates");
  eq(env(rendered.defaults, "auth").SIGNALING_KEY, "prod-1:ES256:/etc/signaling/keys/prod-1.pub.pem", "auth --key");
  const secrets = rendered["secrets from values"].documents.filter((d) => d.object.kind === "Secret").map((d) => d.object.metadata.name).sort();
  eq(secrets, ["sig-signaling-auth-grpc", "sig-signaling-auth-keys", "sig-signaling-gateway-grpc", "sig-signaling-gateway-tls", "sig-signaling-matching-grpc", "sig-signaling-redis"], "Secrets from values");
});

check("chart: matching authorizes callers by identity, the gateway's SAN by default", () => {
  const env = (r) => envOf(r.documents.find((d) => d.object.kind === "Deployment" && d.object.metadata.name.endsWith("matching")).object.spec.template.spec.containers[0]);
  const ids = (e) => [e.SIGNALING_RELAY_IDENTITIES, e.SIGNALING_SESSION_IDENTITIES, e.SIGNALING_ADMIN_IDENTITIES];
  eq(ids(env(rendered.defaults)), ["sig-signaling-gateway.signaling.svc", "", ""], "defaults: only the gateway, nobody on Session or the admin API");
  eq(ids(env(rendered["callers named"])), ["gw-a.example,gw-b.example", "spiffe://cluster.local/ns/app/sa/recorder", "ops-admin"], "named callers");
  eq(ids(env(rendered["tls off"])), [undefined, undefined, undefined], "plaintext: no identities to check");
  eq(env(rendered.defaults).SIGNALING_PEER_IDENTITIES, "sig-signaling-matching.signaling.svc", "replicas know each other by matching's SAN");
});

check("chart: every flag of every binary can be set (union of the scenarios)", () => {
  needBinaries();
  collect(() => {
    for (const c of Object.keys(components)) {
      const set = new Set();
      for (const r of Object.values(rendered)) {
        for (const d of r.documents) {
          if (d.object.kind !== "Deployment") continue;
          for (const ctr of d.object.spec.template.spec.containers) if (ctr.name === c) Object.keys(envOf(ctr)).forEach((n) => set.add(n));
        }
      }
      for (const f of projectFlags(c)) if (!set.has(`SIGNALING_${f.toUpperCase()}`)) problems.push(`${c}: --${f} is not configurable by the chart`);
    }
  });
});

done("chart");
