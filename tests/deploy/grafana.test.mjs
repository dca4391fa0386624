// The Grafana dashboard: its panels' shape, the metrics an operator needs
// charted (the Cluster row's too), every charted metric registered in the
// source and queried as its type allows (counters rated, histograms as
// quantiles over their buckets, gauges as they are), every query valid
// PromQL (promtool). Run through run.sh.
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
  signaling_matching_redis_seconds signaling_matching_redis_errors_total signaling_matching_lease_renewals_total
  signaling_matching_lease_live signaling_matching_membership_changes_total signaling_matching_reasserted_total
  signaling_matching_peer_calls_total signaling_matching_redirects_total signaling_matching_fenced_refusals_total
  signaling_matching_evictions_total signaling_gateway_matching_replicas_known signaling_gateway_matching_replicas_serving
  signaling_gateway_matching_resolve_failures_total
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
// name -> counter | gauge | histogram, from the registrations in the source
// (Registry::AddCounter/AddGauge/AddHistogram in the services' .cc files).
const registered = new Map();
const sources = run("grep", ["-rlE", "--include=*.cc", "Add(Counter|Gauge|Histogram)\\(", "gateway", "services", "common"], { cwd: repo }).stdout.split("\n").filter(Boolean);
for (const f of sources) {
  for (const m of read(f).matchAll(/Add(Counter|Gauge|Histogram)\(\s*"((?:signaling|process)_[a-z_]+)"/g)) registered.set(m[2], m[1].toLowerCase());
}
const rowOf = (title) => {
  let row = null;
  for (const p of panels) { if (p.type === "row") row = p.title; if (p.title === title) return row; }
  return null;
};

check("grafana: every charted metric is registered in the source", () => {
  assert(registered.size > 30, `read only ${registered.size} registrations`);
  const unknown = [...new Set(exprs.flatMap((e) => metricNames(e.expr)))].filter((m) => !registered.has(m));
  assert(unknown.length === 0, `not registered anywhere: ${unknown.join(" ")}`);
});
check("grafana: counters are rated, histograms charted over their buckets, gauges never rated", () => {
  collect(() => {
    for (const { panel, expr } of exprs) {
      for (const m of expr.matchAll(/\b((?:signaling|process)_[a-z_]+?)(_bucket|_sum|_count)?\b(?=\s*[{\[)])/g)) {
        const [use, name, suffix] = m;
        const type = registered.get(name);
        const rated = new RegExp(`(rate|increase)\\(${use}\\b`).test(expr);
        if (type === "counter" && (!rated || suffix)) problems.push(`${panel}: counter ${use} not under rate() or increase()`);
        if (type === "histogram" && !(suffix && rated)) problems.push(`${panel}: histogram ${name} not rated over _bucket/_count/_sum`);
        if (type === "histogram" && suffix === "_bucket" && !/histogram_quantile\(/.test(expr)) problems.push(`${panel}: ${use} without histogram_quantile`);
        if (type === "gauge" && (rated || suffix)) problems.push(`${panel}: gauge ${use} rated`);
      }
    }
  });
});
check("grafana: a Cluster row charts the cluster metrics (ids per replica, Redis, leases, fencing, cross-replica, membership, the replicas gateways see)", () => {
  const cluster = exprs.filter((e) => rowOf(e.panel) === "Cluster");
  const used = new Set(cluster.flatMap((e) => metricNames(e.expr)));
  const want = ["signaling_matching_ids", "signaling_matching_redis_seconds", "signaling_matching_redis_errors_total",
    "signaling_matching_lease_renewals_total", "signaling_matching_lease_live", "signaling_matching_membership_changes_total",
    "signaling_matching_fenced_refusals_total", "signaling_matching_evictions_total", "signaling_matching_reasserted_total",
    "signaling_matching_redirects_total", "signaling_matching_peer_calls_total", "signaling_gateway_matching_replicas_known",
    "signaling_gateway_matching_replicas_serving", "signaling_gateway_matching_resolve_failures_total"];
  eq(want.filter((m) => !used.has(m)), [], "cluster metrics missing from the Cluster row");
  assert(cluster.some((e) => /sum by \(pod\) \(signaling_matching_ids\{/.test(e.expr)), "ids owned per replica (by pod)");
});
check("grafana: latency histograms as p50 and p99 over _bucket by le", () => {
  for (const h of ["signaling_matching_join_to_paired_seconds", "signaling_matching_offer_to_answer_seconds", "signaling_matching_verify_seconds",
    "signaling_matching_redis_seconds"]) {
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
