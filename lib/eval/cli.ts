// cmd/eval subcommands: accuracy, bench, retrain, serve. Each validates its flags first.
import path from "node:path";
import { ConfigError, formatHelp, parseFlags, type FlagSpecs } from "../config/flags.js";
import { ACCURACY_FLAGS, BENCH_FLAGS, parsePolicyList, RETRAIN_FLAGS, SERVE_FLAGS, splitCommand } from "./config.js";
import { startEvalService } from "./eval-server.js";
import { accuracyReport, generateHeldOutCorpus, placementReport, retrainingReport, type EvalContext } from "./operations.js";
import { ReportStore } from "./report/store.js";
import { BundleRegistry } from "./retrain/bundle-registry.js";
import { createCommandTrainer } from "./retrain/trainer.js";

const PROGRAM = "overseer-eval";
const USAGE = `${PROGRAM}: evaluation harness (held-out accuracy, placement benchmark, retraining, EvalService)

usage: ${PROGRAM} <command> [flags]   (${PROGRAM} <command> --help lists the flags)

commands:
  accuracy   held-out accuracy of the models served by regime-svc/scorer-svc on a fresh labelled corpus
  bench      placement benchmark: default, random, threshold, OverSeer (real services) and oracle side by side
  retrain    train a challenger on the newest corpus; promote it only if better than the served champion
  serve      EvalService over gRPC (RunEvaluation, ListReports, GetReport, TriggerRetraining)
`;

const SUMMARIES: Record<string, string> = {
  accuracy: "Held-out accuracy of the served models (synthetic corpus from the simulator unless --corpus is given).",
  bench: "Placement benchmark on a simulated cluster; every policy sees the same scenario.",
  retrain: "Retrain on the newest corpus and promote the challenger only if it beats the champion on the same held-out data.",
  serve: "EvalService over gRPC with reflection and health.",
};

function parse<S extends FlagSpecs>(cmd: string, argv: string[], specs: S) {
  const f = parseFlags(argv, process.env, specs);
  if (f.help) {
    process.stdout.write(formatHelp(`${PROGRAM} ${cmd}`, SUMMARIES[cmd]!, specs));
    return undefined;
  }
  return f;
}

function context(reportsDir: string, quiet: boolean): EvalContext {
  return { reports: new ReportStore(path.resolve(reportsDir)), progress: quiet ? () => undefined : (l) => process.stderr.write(`${l}\n`) };
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ")).join("\n") + "\n";
}

/** Runs a subcommand; returns the process exit code. `serve` resolves only when stopped. */
export async function runCli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "accuracy": {
        const f = parse(cmd, rest, ACCURACY_FLAGS);
        if (!f) return 0;
        const ctx = context(f.reportsDir, f.quiet);
        const corpusDir = f.corpus ? path.resolve(f.corpus) : await generateHeldOutCorpus(path.join(path.resolve(f.reportsDir), "corpora"), { seed: f.seed, nodes: f.corpusNodes, intervals: f.corpusIntervals, mix: f.mix });
        const r = await accuracyReport(ctx, { corpusDir, scorerAddress: f.scorerAddress, regimeAddress: f.regimeAddress });
        const a = r.accuracy!;
        const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}`);
        const rows = [["workload", "trained", "probes", "MAE", "MAPE %", "cover %", "regime %"]];
        for (const w of a.perWorkload) rows.push([w.workloadClass, w.trainedOn ? "yes" : "held out", String(w.n), w.slowdownMae?.toFixed(4) ?? "n/a", pct(w.slowdownMape), pct(w.upperBoundCoverage), pct(w.regimeAccuracy)]);
        for (const [name, g] of [["TRAINED-ON", a.trained], ["HELD-OUT", a.heldOut], ["OVERALL", a.overall]] as const) rows.push([name, "", String(g.n), g.slowdownMae?.toFixed(4) ?? "n/a", pct(g.slowdownMape), pct(g.upperBoundCoverage), pct(g.regimeAccuracy)]);
        process.stdout.write(`Held-out accuracy of model ${a.modelVersion} [${a.corpus.synthetic ? "SYNTHETIC DATA" : "recorded data"}]\n` + table(rows) + `report: ${r.reportId}\n`);
        return 0;
      }
      case "bench": {
        const f = parse(cmd, rest, BENCH_FLAGS);
        if (!f) return 0;
        const policies = parsePolicyList(f.policies);
        const ctx = context(f.reportsDir, f.quiet);
        const t0 = performance.now();
        const { report, comparison, overseerStats } = await placementReport(ctx, { seed: f.seed, nodes: f.nodes, pods: f.pods, policies, bundleDir: path.resolve(f.bundleDir), stack: f.stack as "in-process" | "processes", threshold: f.threshold, extenderWeight: f.extenderWeight });
        const sec = (performance.now() - t0) / 1000;
        const rows = [["policy", "mean", "p95", "SLO viol.", "gap closed", "seconds"]];
        for (const p of comparison.policies) {
          const g = comparison.gapClosed[p.policy];
          rows.push([p.policy, p.meanSlowdown.toFixed(4), p.p95Slowdown.toFixed(4), `${p.sloViolations}/${p.placed}`, g === null || g === undefined ? "n/a" : `${(g * 100).toFixed(1)} %`, (p.elapsedMs / 1000).toFixed(1)]);
        }
        process.stdout.write(`Placement benchmark [SYNTHETIC]: ${f.nodes} nodes, ${f.pods} pods, seed ${f.seed}, model ${report.modelVersion}\n` + table(rows));
        if (overseerStats) process.stdout.write(`overseer: ${overseerStats.statesPublished} NodeStates published, filter rejected every node for ${overseerStats.filterRejectedAll} pod(s)\n`);
        process.stdout.write(`total ${sec.toFixed(1)} s; report: ${report.reportId}\n`);
        return 0;
      }
      case "retrain": {
        const f = parse(cmd, rest, RETRAIN_FLAGS);
        if (!f) return 0;
        if (!f.registryDir) throw new ConfigError("--registry-dir is required");
        const ctx = context(f.reportsDir, f.quiet);
        const registry = new BundleRegistry(path.resolve(f.registryDir));
        await registry.init(f.initialBundle ? path.resolve(f.initialBundle) : undefined);
        const heldOut = f.heldOutCorpus ? path.resolve(f.heldOutCorpus) : await generateHeldOutCorpus(path.join(path.resolve(f.reportsDir), "corpora"), { seed: f.heldOutSeed, nodes: 8, intervals: 6, mix: "" });
        const trainer = createCommandTrainer({ command: splitCommand(f.trainingCommand), timeoutMs: f.trainingTimeout });
        const { report, outcome } = await retrainingReport(ctx, { registry, trainer, corpusRoot: path.resolve(f.corpusRoot), heldOutCorpusDir: heldOut, seed: f.trainingSeed, reason: f.reason });
        const r = outcome.record;
        process.stdout.write(`${r.promoted ? "PROMOTED" : "KEPT CHAMPION"}: ${r.decision}\nchampion ${r.championVersion}, challenger ${r.challengerVersion ?? "none"}; serving ${r.servedBundleDir}\nreport: ${report.reportId}\n`);
        return 0;
      }
      case "serve": {
        const f = parse(cmd, rest, SERVE_FLAGS);
        if (!f) return 0;
        const log = f.quiet ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
        const svc = await startEvalService(f, log);
        process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: "info", service: "eval", msg: "listening", grpc: svc.port, reportsDir: path.resolve(f.reportsDir), registry: svc.registry?.root ?? null }) + "\n");
        await new Promise<void>((resolve) => {
          let stopping = false;
          for (const sig of ["SIGINT", "SIGTERM"] as const) {
            process.on(sig, () => {
              if (stopping) return;
              stopping = true;
              void svc.stop().then(resolve);
            });
          }
        });
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`${PROGRAM}: unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${PROGRAM} ${cmd}: configuration error: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`${PROGRAM} ${cmd}: ${(e as Error).message}\n`);
    return 1;
  }
}
