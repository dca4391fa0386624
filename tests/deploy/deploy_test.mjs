// Checks deploy/ and helm/ with what runs here (no Docker engine, no Helm,
// no cluster): Dockerfiles against apt and the real binaries' ldd; the chart
// rendered by render/ (a faithful Helm engine) for several value sets; every
// rendered object and every deploy/k8s manifest against the Kubernetes schema
// of its kind (kubernetes-models) and, for unknown fields, its TypeScript
// type (tsc); every SIGNALING_* setting against the real binaries' flag
// parser; the Grafana dashboard's queries against promtool and the metric
// names the source registers.
//
// Run through run.sh. Env: RENDER (renderer binary), BUILD_DIR (default
// build), KEEP_TMP=1 keeps the scratch folder.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import YAML from "yaml";
import Ajv from "ajv";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const buildDir = path.resolve(repo, process.env.BUILD_DIR || "build");
const renderBin = process.env.RENDER;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-test-"));

// ---------------------------------------------------------------- harness
let passed = 0, failed = 0;
function check(name, fn) {
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
function assert(cond, msg) { if (!cond) throw new Error(msg); }
function eq(a, b, msg) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${msg}: got ${x}, want ${y}`);
}
const problems = [];  // collect, then fail once with all of them
function collect(fn) { problems.length = 0; fn(); assert(problems.length === 0, problems.join("\n")); }
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: "utf8", ...opts });
const read = (p) => fs.readFileSync(path.join(repo, p), "utf8");
const loadYamlDocs = (p) =>
  YAML.parseAllDocuments(read(p)).map((d) => d.toJS()).filter((o) => o && Object.keys(o).length);

// ---------------------------------------------------------------- the services
// Component -> binary, ports, and the Dockerfile that ships it.
const components = {
  gateway: { bin: "gateway/signaling-gateway", admin: 9100, grpc: null, public: 8443 },
  matching: { bin: "services/matching/signaling-matching", admin: 9101, grpc: 7001 },
  auth: { bin: "services/auth/signaling-auth", admin: 9102, grpc: 7002 },
};
const binPath = (c) => path.join(buildDir, components[c].bin);
const haveBinaries = Object.keys(components).every((c) => fs.existsSync(binPath(c)));
const needBinaries = () => { if (!haveBinaries) throw new Error(`no binaries in ${buildDir} (run scripts/build.sh)`); };

// The project's own flags of a binary, from --helpfull (sections of files
// under services/, gateway/, common/).
const flagCache = {};
function projectFlags(c) {
  if (flagCache[c]) return flagCache[c];
  const out = run(binPath(c), ["--helpfull"], { env: { PATH: process.env.PATH } });
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
// starting the service.
function checkSettings(c, env, where) {
  const flags = projectFlags(c);
  for (const name of Object.keys(env)) {
    if (!name.startsWith("SIGNALING_")) continue;
    const flag = name.slice("SIGNALING_".length).toLowerCase();
    if (!flags.has(flag)) problems.push(`${where}: ${name} is not a flag of signaling-${c}`);
  }
  const out = run(binPath(c), ["--helpfull"], { env: { PATH: process.env.PATH, ...env } });
  const text = out.stdout + out.stderr;
  if (/bad setting/.test(text)) problems.push(`${where}: ${text.match(/bad setting.*/)[0]}`);
}

// ---------------------------------------------------------------- Dockerfiles
function parseDockerfile(p) {
  const lines = read(p).replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const stages = [];
  for (const line of lines) {
    const [instr, ...rest] = line.trim().split(/\s+/);
    const args = rest.join(" ");
    if (instr.toUpperCase() === "FROM") stages.push({ from: args, lines: [] });
    stages.at(-1)?.lines.push({ instr: instr.toUpperCase(), args });
  }
  return stages;
}
const aptPackages = (stage) =>
  stage.lines.filter((l) => l.instr === "RUN" && /apt-get install/.test(l.args))
    .flatMap((l) => l.args.split(/apt-get install/)[1].split("&&")[0].trim().split(/\s+/))
    .filter((w) => w && !w.startsWith("-"));

// One apt-cache call for all packages (each call reads the whole cache).
const aptKnown = {};
function notInApt(pkgs) {
  const ask = [...new Set(pkgs)].filter((p) => !(p in aptKnown));
  if (ask.length) {
    const out = run("apt-cache", ["show", "--no-all-versions", ...ask], { maxBuffer: 64 << 20 });
    const found = new Set([...out.stdout.matchAll(/^Package: (\S+)/gm)].map((m) => m[1]));
    for (const p of ask) aptKnown[p] = found.has(p);
  }
  return pkgs.filter((p) => !aptKnown[p]);
}
// The Debian package of each library, with one dpkg -S call. usrmerge: dpkg
// knows a file by the path its package ships it under (/lib or /usr/lib).
function packagesOf(libs) {
  const variants = (lib) => {
    const real = fs.realpathSync(lib);
    return [...new Set([lib, real].flatMap((p) => [p, p.replace(/^\/usr\/lib\//, "/lib/"), p.replace(/^\/lib\//, "/usr/lib/")]))];
  };
  const out = run("dpkg", ["-S", ...libs.flatMap(variants)], { maxBuffer: 64 << 20 });
  const owner = {};
  for (const line of out.stdout.split("\n")) {
    const m = line.match(/^(.+?): (\/.*)$/);
    if (m) owner[m[2]] = m[1].split(",")[0].split(":")[0].trim();
  }
  return Object.fromEntries(libs.map((lib) => [lib, variants(lib).map((v) => owner[v]).find(Boolean) ?? null]));
}

for (const c of Object.keys(components)) {
  const file = `deploy/docker/${c}.Dockerfile`;
  const stages = parseDockerfile(file);
  const [build, final] = [stages[0], stages.at(-1)];
  const finalOf = (i) => final.lines.filter((l) => l.instr === i).map((l) => l.args);
  const shipped = finalOf("COPY").filter((a) => a.startsWith("--from=build"))
    .map((a) => a.split(/\s+/)[1].replace(/^\/src\/build\//, ""));

  check(`${file}: multi-stage debian:12 build, debian:12-slim runtime, tests off`, () => {
    eq(stages.length, 2, "stages");
    assert(/^debian:12\s+AS\s+build$/i.test(build.from), `build stage is FROM ${build.from}`);
    eq(final.from, "debian:12-slim", "final stage");
    assert(build.lines.some((l) => l.instr === "RUN" && /-DSIGNALING_TESTS=OFF/.test(l.args)), "cmake -DSIGNALING_TESTS=OFF");
    assert(shipped.includes(components[c].bin), `ships ${components[c].bin}`);
  });

  check(`${file}: non-root uid 10001, ENTRYPOINT the binary, EXPOSE its ports, admin on 0.0.0.0`, () => {
    eq(finalOf("USER"), ["10001:10001"], "USER");
    const entry = JSON.parse(finalOf("ENTRYPOINT")[0]);
    eq(entry, [`/usr/local/bin/${path.basename(components[c].bin)}`], "ENTRYPOINT");
    const ports = finalOf("EXPOSE").join(" ").split(/\s+/).map(Number).sort();
    const want = [components[c].admin, components[c].grpc ?? components[c].public].sort();
    eq(ports, want, "EXPOSE");
    assert(/SIGNALING_ADMIN_ADDRESS=0\.0\.0\.0/.test(finalOf("ENV").join(" ")), "ENV SIGNALING_ADMIN_ADDRESS=0.0.0.0");
    if (c === "gateway") assert(finalOf("COPY").some((a) => /^gateway\/web\s/.test(a)), "gateway image carries gateway/web");
  });

  check(`${file}: every apt package named exists in Debian (apt-cache)`, () => {
    const missing = notInApt([...aptPackages(build), ...aptPackages(final)]);
    assert(missing.length === 0, `not in apt: ${missing.join(" ")}`);
  });

  check(`${file}: build packages are those scripts/install-deps.sh installs`, () => {
    const deps = read("scripts/install-deps.sh");
    const extra = aptPackages(build).filter((p) => !new RegExp(`(^|\\s)${p.replace(/[+.]/g, "\\$&")}(\\s|$)`, "m").test(deps));
    assert(extra.length === 0, `not in install-deps.sh: ${extra.join(" ")}`);
  });

  check(`${file}: runtime packages cover the ldd of every shipped binary`, () => {
    needBinaries();
    // libc6 is in every Debian image (all essential packages depend on it).
    const have = new Set([...aptPackages(final), "libc6"]);
    collect(() => {
      for (const rel of shipped) {
        const out = run("ldd", [path.join(buildDir, rel)]);
        assert(out.status === 0, `ldd ${rel}: ${out.stderr}`);
        const libs = [...out.stdout.matchAll(/=>\s+(\/\S+)/g)].map((m) => m[1]);
        assert(libs.length > 0, `ldd ${rel} lists no libraries`);
        for (const [lib, pkg] of Object.entries(packagesOf(libs))) {
          if (!pkg) problems.push(`${rel}: ${lib} belongs to no Debian package`);
          else if (!have.has(pkg)) problems.push(`${rel}: needs ${pkg} (${path.basename(lib)})`);
        }
      }
    });
  });

  check(`${file}: ENV settings are accepted by signaling-${c}`, () => {
    needBinaries();
    const env = {};
    for (const a of finalOf("ENV")) for (const m of a.matchAll(/(\w+)=(\S+)/g)) env[m[1]] = m[2];
    collect(() => checkSettings(c, env, file));
  });
}

check("deploy/docker/*.dockerignore let through every folder CMake configures", () => {
  const cmake = read("CMakeLists.txt");
  // tests/ is configured only with SIGNALING_TESTS, which the images turn off.
  const dirs = [...cmake.matchAll(/add_subdirectory\((\S+?)\)/g)].map((m) => m[1].split("/")[0]).filter((d) => d !== "tests");
  collect(() => {
    for (const c of Object.keys(components)) {
      const ignore = read(`deploy/docker/${c}.Dockerfile.dockerignore`);
      for (const d of new Set(["CMakeLists.txt", ...dirs.map((d) => `${d}/`)])) {
        if (!ignore.split("\n").includes(`!${d}`)) problems.push(`${c}.Dockerfile.dockerignore does not let ${d} through`);
      }
    }
  });
});

// ---------------------------------------------------------------- compose
const compose = YAML.parse(read("deploy/docker-compose.yml"), { merge: true });
check("docker-compose.yml: the three services in explicit dev mode, key from signaling-mint", () => {
  const s = compose.services;
  for (const c of Object.keys(components)) {
    assert(s[c], `service ${c}`);
    eq(s[c].environment.SIGNALING_GRPC_INSECURE, "true", `${c} plaintext gRPC is explicit`);
    eq(s[c].read_only, true, `${c} read_only`);
    eq(s[c].cap_drop, ["ALL"], `${c} cap_drop`);
  }
  eq(s.gateway.environment.SIGNALING_DEV_MODE, "true", "gateway dev mode is explicit");
  assert(/signaling-mint --generate_key \/keys\/dev\.key --alg HS256/.test(s.keygen.command.join(" ")), "keygen generates the dev key");
  eq(s.auth.environment.SIGNALING_KEY, "dev:HS256:/keys/dev.key", "auth uses the generated key");
  eq(s.auth.depends_on.keygen.condition, "service_completed_successfully", "auth waits for the key");
  for (const svc of Object.values(s)) {
    if (svc.build) assert(fs.existsSync(path.join(repo, "deploy", svc.build.context, svc.build.dockerfile)), `dockerfile ${svc.build.dockerfile}`);
  }
});
check("docker-compose.yml: every service's settings are accepted by its binary", () => {
  needBinaries();
  collect(() => { for (const c of Object.keys(components)) checkSettings(c, compose.services[c].environment, `compose ${c}`); });
});

// ---------------------------------------------------------------- renderer
function render(values, { chart = "helm/signaling", apiVersions = "" } = {}) {
  const file = path.join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, YAML.stringify(values ?? {}));
  const args = ["-chart", path.join(repo, chart), "-f", file, "-name", "sig", "-namespace", "signaling"];
  if (apiVersions) args.push("-api-versions", apiVersions);
  const out = run(renderBin, args, { maxBuffer: 64 << 20 });
  if (out.status !== 0) return { error: out.stderr.trim() };
  return JSON.parse(out.stdout);
}

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

// ---------------------------------------------------------------- chart scenarios
const pem = (what) => `-----BEGIN ${what}-----\nPLACEHOLDER\n-----END ${what}-----\n`;
const required = {
  gateway: { allowedOrigins: ["https://app.example.com"], tls: { existingSecret: "gw-tls" } },
  grpc: { tls: { gateway: { existingSecret: "gw-grpc" }, matching: { existingSecret: "m-grpc" }, auth: { existingSecret: "a-grpc" } } },
  auth: { keys: [{ kid: "prod-1", alg: "ES256", file: "prod-1.pub.pem" }], keySecret: { existingSecret: "auth-keys" } },
};
const tlsFiles = { cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY"), ca: pem("CERTIFICATE") };
const merge = (...xs) => xs.reduce((a, b) => {
  const out = structuredClone(a);
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === "object" && !Array.isArray(v) && out[k] && typeof out[k] === "object" ? merge(out[k], v) : v;
  }
  return out;
});
const scenarios = {
  // Defaults, with only the required values supplied (existing Secrets).
  "defaults": required,
  // Secrets created from values.
  "secrets from values": merge(required, {
    gateway: { tls: { existingSecret: "", cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") } },
    grpc: { tls: { gateway: { existingSecret: "", ...tlsFiles }, matching: { existingSecret: "", ...tlsFiles }, auth: { existingSecret: "", ...tlsFiles } } },
    auth: { keySecret: { existingSecret: "", files: { "prod-1.pub.pem": pem("PUBLIC KEY") } } },
  }),
  // TLS off: a TLS-terminating proxy in front, plaintext gRPC, no HPA.
  "tls off": merge(required, {
    gateway: { tls: { enabled: false }, trustedProxies: ["10.244.0.0/16"], autoscaling: { enabled: false }, service: { type: "ClusterIP" } },
    grpc: { insecure: true },
  }),
  "serviceMonitor on": merge(required, { serviceMonitor: { enabled: true } }),
  // Cluster mode: Redis behind Sentinel, a password from a Secret.
  "cluster": merge(required, {
    matching: { cluster: { sentinels: ["redis-0.redis:26379", "redis-1.redis:26379"], user: "matching", passwordSecret: { name: "redis-auth", key: "password" } } },
  }),
  // Callers named: two gateways' identities, an internal service, an admin.
  "callers named": merge(required, {
    matching: { callers: { relay: ["gw-a.example", "gw-b.example"], session: ["spiffe://cluster.local/ns/app/sa/recorder"], admin: ["ops-admin"] } },
  }),
};
const rendered = {};
for (const [name, values] of Object.entries(scenarios)) {
  check(`chart renders: ${name}`, () => {
    const r = render(values, { apiVersions: "monitoring.coreos.com/v1" });
    assert(!r.error, r.error);
    rendered[name] = r;
  });
}

check("chart refuses to render without the required values", () => {
  const cases = [
    [merge(required, { gateway: { allowedOrigins: [] } }), /gateway\.allowedOrigins is required/],
    [merge(required, { gateway: { allowedOrigins: null } }), /gateway\.allowedOrigins is required/],
    [merge(required, { gateway: { tls: { enabled: false } } }), /needs gateway\.trustedProxies/],
    [merge(required, { auth: { keys: [] } }), /auth\.keys needs at least one/],
    [merge(required, { gateway: { tls: { existingSecret: "" } } }), /gateway\.tls\.cert \(PEM\) or gateway\.tls\.existingSecret is required/],
    [merge(required, { auth: { keySecret: { existingSecret: "" } } }), /file "prod-1\.pub\.pem" of kid "prod-1" is neither/],
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
check("values.schema.json rejects typos, wrong types and a matching replica count", () => {
  const base = rendered.defaults?.values;
  assert(base, "defaults did not render");
  const bad = [
    merge(base, { gateway: { config: { max_conections: 5 } } }),
    merge(base, { gateway: { config: { threads: "2" } } }),
    merge(base, { gateway: { allowedOrigins: ["https://app.example.com/"] } }),
    merge(base, { matching: { replicas: 2 } }),
    merge(base, { auth: { keys: [{ kid: "a", alg: "none", file: "a.pem" }] } }),
    merge(base, { auth: { config: { leeway_s: 120 } } }),
    merge(base, { matching: { callers: { admin: ["ops,intruder"] } } }),
    merge(base, { matching: { callers: { relay: [" gateway"] } } }),
    merge(base, { matching: { callers: { everyone: ["x"] } } }),
  ];
  collect(() => bad.forEach((v, i) => { if (validateValues(v)) problems.push(`bad value set #${i} accepted`); }));
});

// ---------------------------------------------------------------- Kubernetes schema
// kubernetes-models checks types, required fields and enums; it lets
// unknown fields through, so each object is also type-checked by tsc
// against the same package's TypeScript types, whose excess-property check
// names any unknown or misplaced field.
function modelFor(obj) {
  const mod = obj.apiVersion === "monitoring.coreos.com/v1"
    ? `@kubernetes-models/prometheus-operator/${obj.apiVersion}/${obj.kind}`
    : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  return { mod, cls: require(mod)[obj.kind] };
}
function validateSchema(docs, label) {
  collect(() => {
    for (const { where, obj } of docs) {
      try {
        const { cls } = modelFor(obj);
        new cls(obj).validate();
      } catch (e) {
        problems.push(`${label} ${where} ${obj.kind}/${obj.metadata?.name}: ${e.message}`);
      }
    }
  });
}
function validateFields(docs, label) {
  const lines = [], sources = [];
  docs.forEach(({ where, obj }, i) => {
    const { mod } = modelFor(obj);
    lines.push(`import type { I${obj.kind} as T${i} } from ${JSON.stringify(mod)};`);
    sources.push(null);
  });
  docs.forEach(({ where, obj }, i) => {
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(obj)};`);
    sources.push(`${where} ${obj.kind}/${obj.metadata?.name}`);
  });
  const file = path.join(here, `.fields-${label.replace(/\W+/g, "-")}.ts`);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const tsc = run(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit", "--strict", "--skipLibCheck",
    "--module", "commonjs", "--moduleResolution", "node", "--target", "es2020", file], { cwd: here });
  fs.rmSync(file);
  collect(() => {
    for (const m of tsc.stdout.matchAll(/\((\d+),\d+\): error TS\d+: (.*)/g)) {
      problems.push(`${label} ${sources[Number(m[1]) - 1] ?? "?"}: ${m[2].slice(0, 300)}`);
    }
    if (tsc.status !== 0 && problems.length === 0) problems.push(tsc.stdout + tsc.stderr);
  });
}

// ---------------------------------------------------------------- properties
const drainMs = (ctr) => Number(envOf(ctr).SIGNALING_DRAIN_GRACE_MS ?? 30000);
const envOf = (ctr) => Object.fromEntries((ctr.env ?? []).map((e) => [e.name, e.value]));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// The properties both the chart's output and deploy/k8s must have.
function checkProperties(docs, label) {
  const objs = docs.map((d) => d.obj);
  const of = (kind) => objs.filter((o) => o.kind === kind);
  const deployments = of("Deployment");
  const component = (o) => o.metadata.labels["app.kubernetes.io/component"];

  check(`${label}: a Deployment per service, matching single and Recreate`, () => {
    eq(deployments.map(component).sort(), ["auth", "gateway", "matching"], "Deployments");
    const m = deployments.find((d) => component(d) === "matching");
    eq(m.spec.replicas, 1, "matching replicas");
    eq(m.spec.strategy?.type, "Recreate", "matching strategy");
  });

  check(`${label}: pods are non-root, read-only, no privilege escalation, no capabilities, RuntimeDefault seccomp`, () => {
    collect(() => {
      for (const d of deployments) {
        const pod = d.spec.template.spec;
        const p = pod.securityContext ?? {};
        if (p.runAsNonRoot !== true || p.seccompProfile?.type !== "RuntimeDefault") problems.push(`${d.metadata.name}: pod securityContext`);
        if (pod.automountServiceAccountToken !== false) problems.push(`${d.metadata.name}: service account token mounted`);
        for (const c of pod.containers) {
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
        for (const c of d.spec.template.spec.containers) {
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
    });
  });

  check(`${label}: grace period outlasts preStop + drain (gateway) / + 5 s (matching, auth)`, () => {
    collect(() => {
      for (const d of deployments) {
        const pod = d.spec.template.spec;
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
        const d = deployments.find((d) => matches(s.spec.selector, d.spec.template.metadata.labels));
        if (!d) { problems.push(`Service ${s.metadata.name} selects no Deployment`); continue; }
        for (const p of s.spec.ports) {
          if (!d.spec.template.spec.containers[0].ports.some((cp) => cp.name === p.targetPort)) problems.push(`Service ${s.metadata.name}: targetPort ${p.targetPort} is not a container port`);
        }
        if (s.spec.type === "LoadBalancer" && s.spec.ports.some((p) => p.name === "admin")) problems.push(`Service ${s.metadata.name} exposes admin publicly`);
      }
      for (const p of of("PodDisruptionBudget")) {
        const d = deployments.find((d) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
        if (!d) problems.push(`PDB ${p.metadata.name} selects nothing`);
        else if (component(d) === "matching") problems.push("a PDB on the single matching replica would block drains");
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

  check(`${label}: NetworkPolicies allow only gateway->matching->auth, public and monitoring ingress`, () => {
    const pols = of("NetworkPolicy");
    const sel = (c) => (p) => p.spec.podSelector.matchLabels?.["app.kubernetes.io/component"] === c;
    const deny = pols.find((p) => !p.spec.podSelector.matchLabels?.["app.kubernetes.io/component"]);
    assert(deny && !deny.spec.ingress && !deny.spec.egress, "a default-deny policy for all pods");
    eq(deny.spec.policyTypes, ["Ingress", "Egress"], "default deny covers both directions");
    const peer = (rule) => rule.from?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/component"];
    const egressTo = (p) => p.spec.egress?.map((r) => r.to?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/component"]).filter(Boolean);
    const [gw, mt, au] = ["gateway", "matching", "auth"].map((c) => pols.find(sel(c)));
    assert(gw && mt && au, "a policy per component");
    assert(gw.spec.ingress.some((r) => !r.from && r.ports[0].port === "public"), "gateway public port open");
    eq(mt.spec.ingress.filter(peer).map(peer), ["gateway"], "matching accepts only the gateway");
    eq(au.spec.ingress.filter(peer).map(peer), ["matching"], "auth accepts only matching");
    eq(egressTo(gw), ["matching"], "gateway egress");
    eq(egressTo(mt), ["auth"], "matching egress");
    assert(!au.spec.egress, "auth has no egress");
    for (const p of [gw, mt, au]) assert(p.spec.ingress.some((r) => r.from?.[0]?.namespaceSelector && r.ports[0].port === "admin"), `${p.metadata.name}: monitoring reaches admin`);
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
      for (const d of deployments) {
        for (const v of d.spec.template.spec.volumes ?? []) {
          if (v.secret && !secrets.has(v.secret.secretName) && !docs.existingSecrets?.has(v.secret.secretName)) problems.push(`${d.metadata.name}: Secret ${v.secret.secretName} missing`);
        }
      }
    });
  });

  check(`${label}: every container's settings are accepted by its binary`, () => {
    needBinaries();
    collect(() => {
      for (const d of deployments) for (const c of d.spec.template.spec.containers) checkSettings(c.name, envOf(c), `${label} ${c.name}`);
    });
  });
}

const docsOf = (r) => r.documents.map((d) => ({ where: d.template, obj: d.object }));
for (const [name, r] of Object.entries(rendered)) {
  const docs = docsOf(r);
  const v = scenarios[name];
  docs.existingSecrets = new Set([v.gateway?.tls?.existingSecret, v.auth?.keySecret?.existingSecret,
    v.matching?.cluster?.passwordSecret?.name,
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
  eq(secrets, ["sig-signaling-auth-grpc", "sig-signaling-auth-keys", "sig-signaling-gateway-grpc", "sig-signaling-gateway-tls", "sig-signaling-matching-grpc"], "Secrets from values");
});

check("chart: matching authorizes callers by identity, the gateway's SAN by default", () => {
  const env = (r) => envOf(r.documents.find((d) => d.object.kind === "Deployment" && d.object.metadata.name.endsWith("matching")).object.spec.template.spec.containers[0]);
  const ids = (e) => [e.SIGNALING_RELAY_IDENTITIES, e.SIGNALING_SESSION_IDENTITIES, e.SIGNALING_ADMIN_IDENTITIES];
  eq(ids(env(rendered.defaults)), ["sig-signaling-gateway.signaling.svc", "", ""], "defaults: only the gateway, nobody on Session or the admin API");
  eq(ids(env(rendered["callers named"])), ["gw-a.example,gw-b.example", "spiffe://cluster.local/ns/app/sa/recorder", "ops-admin"], "named callers");
  eq(ids(env(rendered["tls off"])), [undefined, undefined, undefined], "plaintext: no identities to check");
  eq(env(rendered.defaults).SIGNALING_PEER_IDENTITIES, "sig-signaling-matching.signaling.svc", "replicas know each other by matching's SAN");
});

check("chart: cluster mode names Redis, this replica's address and the password file", () => {
  const ctr = (r) => r.documents.find((d) => d.object.kind === "Deployment" && d.object.metadata.name.endsWith("matching")).object.spec.template.spec;
  const off = envOf(ctr(rendered.defaults).containers[0]);
  eq([off.SIGNALING_REDIS, off.SIGNALING_ADVERTISE], [undefined, undefined], "off by default");
  const spec = ctr(rendered.cluster);
  const on = envOf(spec.containers[0]);
  eq([on.SIGNALING_REDIS_SENTINELS, on.SIGNALING_REDIS_USER, on.SIGNALING_REDIS_PASSWORD_FILE, on.SIGNALING_ADVERTISE],
     ["redis-0.redis:26379,redis-1.redis:26379", "matching", "/etc/signaling/redis/password", "$(POD_IP):7001"], "cluster env");
  const volume = spec.volumes.find((v) => v.name === "redis-password");
  eq(volume?.secret?.secretName, "redis-auth", "the password comes from the named Secret");
  assert(spec.containers[0].volumeMounts.some((m) => m.name === "redis-password" && m.readOnly), "mounted read-only");
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

// ---------------------------------------------------------------- deploy/k8s
const k8sFiles = fs.readdirSync(path.join(repo, "deploy/k8s")).filter((f) => f.endsWith(".yaml")).sort();
const plain = k8sFiles.flatMap((f) => loadYamlDocs(`deploy/k8s/${f}`).map((obj) => ({ where: f, obj })));
check("deploy/k8s: every object matches its Kubernetes schema", () => validateSchema(plain, "deploy/k8s"));
check("deploy/k8s: no unknown fields (tsc against the kind's type)", () => validateFields(plain, "deploy/k8s"));
check("deploy/k8s: everything namespaced lives in the signaling Namespace it creates", () => {
  assert(plain.some(({ obj }) => obj.kind === "Namespace" && obj.metadata.name === "signaling"), "Namespace signaling");
  const stray = plain.filter(({ obj }) => obj.kind !== "Namespace" && obj.metadata.namespace !== "signaling");
  assert(stray.length === 0, stray.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`).join(", "));
});
checkProperties(plain, "deploy/k8s");
check("deploy/k8s: sets the same settings as the chart's default render", () => {
  const names = (docs) => Object.fromEntries(docs.filter((d) => d.obj.kind === "Deployment")
    .map((d) => [d.obj.spec.template.spec.containers[0].name, Object.keys(envOf(d.obj.spec.template.spec.containers[0])).sort()])
    .sort());
  assert(rendered.defaults, "defaults did not render");
  eq(names(plain), names(docsOf(rendered.defaults)), "SIGNALING_* names per container");
});

// ---------------------------------------------------------------- Grafana
const dashboard = JSON.parse(read("deploy/grafana/signaling-dashboard.json"));
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const wanted = `signaling_gateway_connections signaling_gateway_connections_opened_total
  signaling_gateway_connections_closed_total signaling_gateway_upgrades_refused_total signaling_gateway_messages_total
  signaling_gateway_invalid_messages_total signaling_gateway_matching_connected signaling_matching_sessions
  signaling_matching_ids signaling_matching_pairings signaling_matching_waiting_offerers signaling_matching_joins_total
  signaling_matching_pairings_started_total signaling_matching_pairings_completed_total signaling_matching_pairings_ended_total
  signaling_matching_messages_relayed_total signaling_matching_refused_total signaling_matching_rate_limited_total
  signaling_matching_join_to_paired_seconds signaling_matching_offer_to_answer_seconds signaling_matching_verify_calls_total
  signaling_matching_verify_seconds signaling_matching_grpc_streams signaling_matching_rpc_denied_total
  signaling_auth_verifications_total
  process_resident_memory_bytes process_open_fds process_cpu_seconds_total`.split(/\s+/);
const metricNames = (expr) => [...expr.matchAll(/\b((?:signaling|process)_[a-z_]+?)(?:_bucket|_sum|_count)?\b(?=\s*[{\[)])/g)].map((m) => m[1]);

check("grafana: panels have unique ids, a position and queries", () => {
  const ids = panels.map((p) => p.id);
  eq(new Set(ids).size, ids.length, "unique panel ids");
  collect(() => {
    for (const p of panels) {
      if (!p.gridPos) problems.push(`${p.title}: no gridPos`);
      if (p.type !== "row" && !(p.targets?.length > 0)) problems.push(`${p.title}: no query`);
    }
  });
  assert(dashboard.uid && dashboard.title && dashboard.schemaVersion, "uid, title, schemaVersion");
});
check("grafana: every listed metric is on the dashboard", () => {
  const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
  const missing = wanted.filter((m) => !used.has(m));
  assert(missing.length === 0, `not charted: ${missing.join(" ")}`);
});
check("grafana: every charted metric is registered in the source", () => {
  const src = run("grep", ["-rhoE", '"(signaling|process)_[a-z_]+"', "gateway", "services", "common"], { cwd: repo }).stdout;
  const registered = new Set(src.split("\n").map((s) => s.replace(/"/g, "")));
  const unknown = [...new Set(exprs.flatMap((e) => metricNames(e.expr)))].filter((m) => !registered.has(m));
  assert(unknown.length === 0, `not registered anywhere: ${unknown.join(" ")}`);
});
check("grafana: latency histograms as p50 and p99 over _bucket by le", () => {
  for (const h of ["signaling_matching_join_to_paired_seconds", "signaling_matching_offer_to_answer_seconds", "signaling_matching_verify_seconds"]) {
    for (const q of ["0.5", "0.99"]) {
      const re = new RegExp(`histogram_quantile\\(${q.replace(".", "\\.")},\\s*sum by \\(le\\)\\s*\\(rate\\(${h}_bucket`);
      assert(exprs.some((e) => re.test(e.expr)), `p${Number(q) * 100} of ${h}`);
    }
  }
});
check("grafana: every query parses as PromQL (promtool)", () => {
  const promtool = run("sh", ["-c", "command -v promtool"]).stdout.trim();
  if (!promtool) throw new Error("promtool not installed");
  // Grafana's variables, as Grafana would substitute them.
  const subst = (e) => e.replace(/\$__rate_interval|\$__interval/g, "5m").replace(/\$\{?(\w+)\}?/g, ".*");
  const rules = { groups: [{ name: "dashboard", rules: exprs.map((e, i) => ({ record: `dashboard:q${i}`, expr: subst(e.expr) })) }] };
  const file = path.join(tmp, "rules.yml");
  fs.writeFileSync(file, YAML.stringify(rules));
  const out = run(promtool, ["check", "rules", file]);
  assert(out.status === 0, (out.stdout + out.stderr).trim());
});

// ---------------------------------------------------------------- done
if (!process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
console.log(`deploy: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
