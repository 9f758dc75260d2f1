// cmd/eval configuration: flags and env vars per subcommand, validated once at start-up.
import { ConfigError, hostPort, nonNegative, positive, type FlagSpec, type ParsedFlags } from "../config/flags.js";

const fraction = (v: number) => (v >= 0 && v <= 1 ? undefined : "must be in [0, 1]");
const stackMode = (v: string) => (v === "in-process" || v === "processes" ? undefined : 'must be "in-process" or "processes"');

const COMMON = {
  reportsDir: { name: "reports-dir", type: "string", env: "OVERSEER_EVAL_REPORTS_DIR", default: "reports/eval", help: "where reports (<id>.json, <id>.html) are written" } as FlagSpec<"string">,
  quiet: { name: "quiet", type: "bool", default: false, help: "no progress output on stderr" } as FlagSpec<"bool">,
};

const SERVED = {
  scorerAddress: { name: "scorer-address", type: "string", env: "OVERSEER_SCORER_ADDRESS", default: "127.0.0.1:50053", help: "scorer-svc serving the models to evaluate", validate: hostPort } as FlagSpec<"string">,
  regimeAddress: { name: "regime-address", type: "string", env: "OVERSEER_REGIME_ADDRESS", default: "127.0.0.1:50052", help: "regime-svc serving the models to evaluate", validate: hostPort } as FlagSpec<"string">,
};

const HELD_OUT = {
  corpus: { name: "corpus", type: "string", env: "OVERSEER_EVAL_CORPUS", default: "", help: "labelled held-out corpus directory; empty = generate a fresh one with the simulator from --seed" } as FlagSpec<"string">,
  seed: { name: "seed", type: "int", default: 1001, help: "simulator seed of a generated held-out corpus (use seeds not used for training)", validate: nonNegative } as FlagSpec<"int">,
  corpusNodes: { name: "corpus-nodes", type: "int", default: 8, help: "nodes of a generated held-out corpus", validate: positive } as FlagSpec<"int">,
  corpusIntervals: { name: "corpus-intervals", type: "int", default: 6, help: "windows per node of a generated held-out corpus", validate: positive } as FlagSpec<"int">,
  mix: { name: "mix", type: "string", default: "", help: 'workload mix of a generated held-out corpus ("class=weight,...", as the corpus CLI)' } as FlagSpec<"string">,
};

const BENCH = {
  nodes: { name: "nodes", type: "int", default: 200, help: "simulated nodes", validate: positive } as FlagSpec<"int">,
  pods: { name: "pods", type: "int", default: 1000, help: "CNF pods placed", validate: positive } as FlagSpec<"int">,
  seed: { name: "seed", type: "int", default: 1001, help: "scenario seed (every policy sees the same scenario)", validate: nonNegative } as FlagSpec<"int">,
  bundleDir: { name: "bundle-dir", type: "string", env: "OVERSEER_BUNDLE_DIR", default: "models/default", help: "bundle the OverSeer policy's private regime-svc/scorer-svc/extender serve" } as FlagSpec<"string">,
  stack: { name: "stack", type: "string", default: "processes", help: '"processes" (node dist/cmd/*/main.js children, as users run them; needs a build) or "in-process" (the server factories in this process)', validate: stackMode } as FlagSpec<"string">,
  policies: { name: "policies", type: "string", default: "default,random,threshold,overseer,oracle", help: "policies to compare, in order" } as FlagSpec<"string">,
  threshold: { name: "threshold", type: "float", default: 0.5, help: "memory-bandwidth threshold (fraction of peak) of the single-metric policy", validate: fraction } as FlagSpec<"float">,
  extenderWeight: { name: "extender-weight", type: "int", default: 6, help: "extender weight in the emulated kube-scheduler (deploy/scheduler-config.yaml)", validate: positive } as FlagSpec<"int">,
};

const RETRAIN = {
  registryDir: { name: "registry-dir", type: "string", env: "OVERSEER_EVAL_REGISTRY_DIR", default: "", help: "bundle registry: services serve <registry-dir>/current; empty disables retraining" } as FlagSpec<"string">,
  initialBundle: { name: "initial-bundle", type: "string", default: "models/default", help: "bundle copied into an empty registry as the first champion" } as FlagSpec<"string">,
  corpusRoot: { name: "corpus-root", type: "string", env: "OVERSEER_EVAL_CORPUS_ROOT", default: "data/corpora", help: "training corpora: the newest directory with a corpus manifest is used (or this directory itself)" } as FlagSpec<"string">,
  heldOutCorpus: { name: "held-out-corpus", type: "string", default: "", help: "held-out corpus for champion vs challenger (empty = generate from --held-out-seed)" } as FlagSpec<"string">,
  heldOutSeed: { name: "held-out-seed", type: "int", default: 1001, help: "seed of a generated held-out corpus", validate: nonNegative } as FlagSpec<"int">,
  trainingCommand: { name: "training-command", type: "string", default: "training/.venv/bin/python -m overseer_training.pipeline --corpus {corpus} --out {out} --seed {seed} --skip-stability", help: "training command ({corpus}, {out}, {seed} substituted; split on spaces)" } as FlagSpec<"string">,
  trainingSeed: { name: "training-seed", type: "int", default: 1, help: "seed passed to training", validate: nonNegative } as FlagSpec<"int">,
  trainingTimeout: { name: "training-timeout", type: "duration", default: 30 * 60_000, help: "training is killed (and the champion kept) after this long", validate: positive } as FlagSpec<"duration">,
  maxSlowdownMape: { name: "max-slowdown-mape", type: "float", default: 0.15, help: "drift bound: served slowdown MAPE above this triggers retraining", validate: positive } as FlagSpec<"float">,
  minCoverage: { name: "min-coverage", type: "float", default: 0.9, help: "drift bound: upper-bound coverage below this triggers retraining", validate: fraction } as FlagSpec<"float">,
};

export const ACCURACY_FLAGS = { ...COMMON, ...SERVED, ...HELD_OUT };
export const BENCH_FLAGS = { ...COMMON, ...BENCH };
export const RETRAIN_FLAGS = { ...COMMON, ...SERVED, ...RETRAIN, reason: { name: "reason", type: "string", default: "on demand (CLI)", help: "reason recorded in the report" } as FlagSpec<"string"> };
export const SERVE_FLAGS = {
  ...COMMON,
  ...SERVED,
  ...RETRAIN,
  listen: { name: "listen", type: "string", env: "OVERSEER_EVAL_LISTEN", default: "127.0.0.1:50055", help: "gRPC listen address of EvalService (port 0 = ephemeral)", validate: hostPort } as FlagSpec<"string">,
  bundleDir: { ...BENCH.bundleDir, default: "", help: "bundle of placement benchmarks (default: <registry-dir>/current, else models/default)" } as FlagSpec<"string">,
  stack: BENCH.stack,
  driftCheckInterval: { name: "drift-check-interval", type: "duration", default: 0, help: "evaluate the served models on the held-out corpus this often and retrain on drift (0 = only on demand)", validate: nonNegative } as FlagSpec<"duration">,
  maxPods: { name: "max-pods", type: "int", default: 5000, help: "largest pod_count a RunEvaluation may ask for", validate: positive } as FlagSpec<"int">,
  maxNodes: { name: "max-nodes", type: "int", default: 1000, help: "largest node_count a RunEvaluation may ask for", validate: positive } as FlagSpec<"int">,
};

export type AccuracyFlags = ParsedFlags<typeof ACCURACY_FLAGS>;
export type BenchFlags = ParsedFlags<typeof BENCH_FLAGS>;
export type RetrainFlags = ParsedFlags<typeof RETRAIN_FLAGS>;
export type ServeFlags = ParsedFlags<typeof SERVE_FLAGS>;

export const POLICY_NAMES = ["default", "random", "threshold", "overseer", "oracle"] as const;

export function parsePolicyList(text: string): string[] {
  const list = text.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError("--policies: empty list");
  for (const p of list) if (!(POLICY_NAMES as readonly string[]).includes(p)) throw new ConfigError(`--policies: unknown policy "${p}" (known: ${POLICY_NAMES.join(", ")})`);
  if (new Set(list).size !== list.length) throw new ConfigError("--policies: a policy is listed twice");
  return list;
}

export function splitCommand(text: string): string[] {
  const argv = text.split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new ConfigError("--training-command: empty");
  return argv;
}
