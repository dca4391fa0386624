// Every object against the Kubernetes schema of its kind, as kubeconform
// would check it, with what runs here. kubernetes-models checks types,
// required fields and enums; it lets unknown fields through, so each object
// is also type-checked by tsc against the same package's TypeScript types,
// whose excess-property check names any unknown or misplaced field.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { collect, here, problems, run } from "./lib.mjs";

const require = createRequire(import.meta.url);

export function modelFor(obj) {
  const mod = obj.apiVersion === "monitoring.coreos.com/v1"
    ? `@kubernetes-models/prometheus-operator/${obj.apiVersion}/${obj.kind}`
    : `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  return { mod, cls: require(mod)[obj.kind] };
}
export function validateSchema(docs, label) {
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
export function validateFields(docs, label) {
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

