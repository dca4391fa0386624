// The Grafana dashboard: its panels' shape, every metric the services
// register charted, every charted metric registered in the source, the
// latency histograms as quantiles, every query valid PromQL (promtool).
// Run through run.sh.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { assert, check, collect, done, eq, problems, read, repo, run, tmp } from "./lib.mjs";

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

done("grafana");
