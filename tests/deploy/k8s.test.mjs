// The plain manifests of deploy/k8s: the Kubernetes schema of every object,
// the same properties as the chart's output, and the same settings as the
// chart's default render. Run through run.sh (RENDER names the renderer).
import fs from "node:fs";
import path from "node:path";
import { assert, check, done, envOf, eq, loadYamlDocs, repo } from "./lib.mjs";
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
check("deploy/k8s: sets the same settings as the chart's default render", () => {
  const names = (docs) => Object.fromEntries(docs.filter((d) => d.obj.kind === "Deployment")
    .map((d) => [d.obj.spec.template.spec.containers[0].name, Object.keys(envOf(d.obj.spec.template.spec.containers[0])).sort()])
    .sort());
  const defaults = render(required);
  assert(!defaults.error, defaults.error);
  eq(names(plain), names(docsOf(defaults)), "SIGNALING_* names per container");
});

done("k8s");
