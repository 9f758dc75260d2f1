// Placement benchmark: default, random, threshold, OverSeer (real extender -> scorer -> regime
// servers on loopback) and oracle side by side on one simulated cluster (same seed, same arrivals).
// Prints the quality figures, the time per policy and OverSeer's time per decision relative to the
// default policy measured in the same run, and whether the targets are met.
// Usage: node dist/bench/placement.js [--nodes 200 --pods 1000 --seed 1001 --bundle-dir models/default --stack in-process]
import path from "node:path";
import { parseFlags, type FlagSpec } from "../lib/config/flags.js";
import { BENCH_FLAGS, parsePolicyList } from "../lib/eval/config.js";
import { placementReport } from "../lib/eval/operations.js";
import { ReportStore } from "../lib/eval/report/store.js";

const SPECS = { ...BENCH_FLAGS, reportsDir: { ...BENCH_FLAGS.reportsDir, default: "reports/bench-placement" } as FlagSpec<"string"> };
const f = parseFlags(process.argv.slice(2), process.env, SPECS);
const t0 = performance.now();
const run = await placementReport(
  { reports: new ReportStore(path.resolve(f.reportsDir)), progress: f.quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`) },
  { seed: f.seed, nodes: f.nodes, pods: f.pods, policies: parsePolicyList(f.policies), bundleDir: path.resolve(f.bundleDir), stack: f.stack as "in-process" | "processes", threshold: f.threshold, extenderWeight: f.extenderWeight },
).catch((e: Error) => {
  process.stderr.write(`bench/placement: ${e.message}\n`);
  process.exit(1);
});
const { report, comparison, overseerStats } = run;
const totalSec = (performance.now() - t0) / 1000;
const by = new Map(comparison.policies.map((p) => [p.policy, p]));
const def = by.get("default");
console.log(`placement benchmark [SYNTHETIC]: ${f.nodes} nodes, ${f.pods} CNF pods, seed ${f.seed}, model ${report.modelVersion}, stack ${f.stack}`);
console.log("policy      mean     p95  SLO-viol  gap-closed  seconds  ms/decision  x default-time");
for (const p of comparison.policies) {
  const g = comparison.gapClosed[p.policy];
  const perDecision = p.elapsedMs / Math.max(1, p.pods);
  const ratio = def ? p.elapsedMs / def.elapsedMs : NaN;
  console.log(
    `${p.policy.padEnd(10)} ${p.meanSlowdown.toFixed(4)} ${p.p95Slowdown.toFixed(4)} ${String(p.sloViolations).padStart(9)} ${(g === null || g === undefined ? "n/a" : `${(g * 100).toFixed(1)} %`).padStart(11)} ${(p.elapsedMs / 1000).toFixed(1).padStart(8)} ${perDecision.toFixed(2).padStart(12)} ${ratio.toFixed(1).padStart(15)}`,
  );
}
if (overseerStats) {
  const s = overseerStats;
  const per = (ms: number) => (ms / Math.max(1, s.decisions)).toFixed(2);
  console.log(`overseer: ${s.statesPublished} NodeStates published; extender filter rejected every node for ${s.filterRejectedAll} pod(s)`);
  console.log(`overseer ms/decision: publish ${per(s.publishMs)}, wait for regime ${per(s.classifyWaitMs)}, /filter ${per(s.filterMs)}, /prioritize ${per(s.prioritizeMs)}`);
}
const o = by.get("overseer");
const t = by.get("threshold");
const gap = comparison.gapClosed.overseer;
if (o && gap !== null && gap !== undefined) console.log(`target gap closed >= 80 %: ${(gap * 100).toFixed(1)} % -> ${gap >= 0.8 ? "MET" : "NOT MET"}`);
if (o && t) console.log(`target OverSeer SLO violations < threshold policy: ${o.sloViolations} vs ${t.sloViolations} -> ${o.sloViolations < t.sloViolations ? "MET" : "NOT MET"}`);
console.log(`target total < 120 s: ${totalSec.toFixed(1)} s -> ${totalSec < 120 ? "MET" : "NOT MET"}`);
console.log(`report: ${path.join(path.resolve(f.reportsDir), `${report.reportId}.html`)}`);
