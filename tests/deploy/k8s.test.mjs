// The plain manifests of deploy/k8s: the Kubernetes schema of every object,
// the same properties as the chart's output, and the same settings as the
// chart's default render. Run through run.sh (RENDER names the renderer).
import fs from "node:fs";
import path from "node:path";
import { assert, check, collect, done, envOf, eq, loadYamlDocs, problems, repo } from "./lib.mjs";
import { validateFields, validateSchema } from "./kube.mjs";
import { checkProperties } from "./properties.mjs";
import { docsOf, render, required } from "./scenarios.mjs";

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
// The chart's default render (release "sig": names sig-signaling-*), the
// manifests' model.
const defaults = render(required);
const chartDocs = defaults.error ? [] : docsOf(defaults);
const plainName = (name) => name.replace(/^sig-signaling-/, "signaling-");

check("deploy/k8s: the same objects as the chart's default render, plus the Namespace and the Secrets", () => {
  assert(!defaults.error, defaults.error);
  const names = (docs) => docs.map(({ obj }) => `${obj.kind}/${plainName(obj.metadata.name)}`).sort();
  const extra = ({ obj }) => obj.kind === "Namespace" || obj.kind === "Secret";
  eq(names(plain.filter((d) => !extra(d))), names(chartDocs), "objects (the chart's defaults name existing Secrets)");
  const secrets = plain.filter(({ obj }) => obj.kind === "Secret").map(({ obj }) => obj.metadata.name).sort();
  eq(secrets, ["signaling-auth-grpc", "signaling-auth-keys", "signaling-gateway-grpc", "signaling-gateway-tls", "signaling-matching-grpc", "signaling-redis"], "Secrets");
});

check("deploy/k8s: sets the same settings as the chart's default render", () => {
  const names = (docs) => Object.fromEntries(docs.filter((d) => d.obj.kind === "Deployment")
    .map((d) => [d.obj.spec.template.spec.containers[0].name, Object.keys(envOf(d.obj.spec.template.spec.containers[0])).sort()])
    .sort());
  assert(!defaults.error, defaults.error);
  const [ours, chart] = [names(plain), names(chartDocs)];
  eq(Object.keys(ours), Object.keys(chart), "containers");
  collect(() => {
    for (const [c, vars] of Object.entries(chart)) {
      const missing = vars.filter((v) => !ours[c].includes(v)), extra = ours[c].filter((v) => !vars.includes(v));
      if (missing.length || extra.length) problems.push(`${c}: missing ${missing.join(" ") || "-"}, not in the chart ${extra.join(" ") || "-"}`);
    }
  });
});

check("deploy/k8s: matching's replicas, the Redis configuration and scripts are the chart's defaults", () => {
  const find = (docs, kind, name) => docs.find(({ obj }) => obj.kind === kind && plainName(obj.metadata.name) === name)?.obj;
  const replicas = (docs) => find(docs, "Deployment", "signaling-matching")?.spec.replicas;
  eq(replicas(plain), 3, "matching replicas");
  eq(replicas(plain), replicas(chartDocs), "as the chart's");
  // Only the names differ: the chart's headless Service is sig-signaling-redis-headless.
  const data = (docs) => {
    const d = find(docs, "ConfigMap", "signaling-redis")?.data ?? {};
    return JSON.stringify(Object.keys(d).sort().map((k) => [k, d[k]])).replaceAll("sig-signaling-", "signaling-");
  };
  eq(data(plain), data(chartDocs), "the Redis ConfigMap");
  const image = (docs) => find(docs, "StatefulSet", "signaling-redis")?.spec.template.spec.containers[0].image;
  eq(image(plain), image(chartDocs), "the Redis image");
});

done("k8s");
