// Retraining with champion/challenger: train on the newest corpus into a staging directory, judge
// champion and challenger on the same held-out corpus through real regime-svc/scorer-svc servers,
// and promote the challenger (atomic link swap) only when it is measurably better. A failed,
// crashed, invalid or worse challenger is discarded and the champion keeps serving.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { loadBundle } from "../../bundle/load-bundle.js";
import { evaluateHeldOut } from "../accuracy/held-out.js";
import { accuracyHeadline, type AccuracyResult } from "../accuracy/metrics.js";
import type { RetrainingRecord } from "../report/types.js";
import { startStack } from "../services/stack.js";
import { BundleRegistry, readManifestVersion } from "./bundle-registry.js";
import { decidePromotion, DEFAULT_PROMOTION_RULE, type PromotionRule } from "./decide.js";
import type { Trainer } from "./trainer.js";

export type BundleEvaluator = (bundleDir: string) => Promise<AccuracyResult>;

/** Judges a bundle on a held-out corpus through a private in-process regime-svc + scorer-svc. */
export function createStackEvaluator(heldOutCorpusDir: string, maxSequences?: number): BundleEvaluator {
  return async (bundleDir) => {
    const stack = await startStack({ bundleDir, pollIntervalMs: 0, regimeFlushMs: 1 });
    try {
      return await evaluateHeldOut({ corpusDir: heldOutCorpusDir, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress, maxSequences });
    } finally {
      await stack.stop();
    }
  };
}

export interface RetrainOptions {
  registry: BundleRegistry;
  trainer: Trainer;
  trainingCorpusDir: string;
  heldOutCorpusDir: string;
  seed: number;
  reason: string;
  evaluate: BundleEvaluator;
  rule?: PromotionRule;
  log?: (line: string) => void;
}

export interface RetrainOutcome {
  record: RetrainingRecord;
  championAccuracy?: AccuracyResult;
  challengerAccuracy?: AccuracyResult;
}

export async function retrain(o: RetrainOptions): Promise<RetrainOutcome> {
  const log = o.log ?? (() => undefined);
  const championDir = await o.registry.championDir();
  const championVersion = await readManifestVersion(championDir);
  const staging = await o.registry.newStagingDir();
  const base: RetrainingRecord = {
    reason: o.reason,
    promoted: false,
    decision: "",
    championVersion,
    challengerVersion: null,
    championMetrics: {},
    challengerMetrics: {},
    servedBundleDir: championDir,
    trainingCorpusDir: o.trainingCorpusDir,
    heldOutCorpusDir: o.heldOutCorpusDir,
    trainingSeconds: null,
  };
  const keep = async (decision: string, extra: Partial<RetrainOutcome> = {}): Promise<RetrainOutcome> => {
    await o.registry.discard(staging).catch(() => undefined);
    const record = { ...base, decision };
    await o.registry.record({ at: new Date().toISOString(), event: "kept-champion", servedBundle: championDir, version: championVersion, challengerVersion: base.challengerVersion, reason: decision });
    log(`champion ${championVersion} kept: ${decision}`);
    return { record, ...extra };
  };

  log(`training a challenger on ${o.trainingCorpusDir} (seed ${o.seed})`);
  try {
    const t = await o.trainer.train(o.trainingCorpusDir, staging, o.seed, (l) => log(`  train: ${l}`));
    base.trainingSeconds = t.seconds;
  } catch (e) {
    return keep(`training failed: ${(e as Error).message}`);
  }
  try {
    base.challengerVersion = await readManifestVersion(staging);
    const b = await loadBundle(staging);
    await b.release();
  } catch (e) {
    return keep(`the challenger bundle is not loadable: ${(e as Error).message}`);
  }

  log(`judging champion ${championVersion} and challenger ${base.challengerVersion} on ${o.heldOutCorpusDir}`);
  const championAccuracy = await o.evaluate(championDir);
  base.championMetrics = accuracyHeadline(championAccuracy);
  let challengerAccuracy: AccuracyResult;
  try {
    challengerAccuracy = await o.evaluate(staging);
  } catch (e) {
    return keep(`the challenger could not be evaluated: ${(e as Error).message}`, { championAccuracy });
  }
  base.challengerMetrics = accuracyHeadline(challengerAccuracy);
  const verdict = decidePromotion(championAccuracy.overall, challengerAccuracy.overall, o.rule ?? DEFAULT_PROMOTION_RULE);
  if (!verdict.promote) return keep(verdict.reason, { championAccuracy, challengerAccuracy });

  const served = await o.registry.promote(staging);
  await o.registry.record({ at: new Date().toISOString(), event: "promoted", servedBundle: served, version: base.challengerVersion!, challengerVersion: base.challengerVersion, reason: verdict.reason });
  log(`promoted ${base.challengerVersion}: ${verdict.reason}`);
  return { record: { ...base, promoted: true, decision: verdict.reason, servedBundleDir: served }, championAccuracy, challengerAccuracy };
}

/** The most recently modified subdirectory of `root` that holds a corpus manifest (or `root` itself). */
export async function newestCorpus(root: string): Promise<string> {
  const isCorpus = async (dir: string) => {
    try {
      return (JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { format?: unknown }).format === "overseer-corpus";
    } catch {
      return false;
    }
  };
  if (await isCorpus(root)) return root;
  let best: { dir: string; mtime: number } | undefined;
  const entries = await readdir(root, { withFileTypes: true }).catch((e: Error) => {
    throw new Error(`${root}: cannot list corpora: ${e.message}`);
  });
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(root, e.name);
    if (!(await isCorpus(dir))) continue;
    const m = await stat(path.join(dir, "manifest.json")).catch(() => undefined);
    if (m && (!best || m.mtimeMs > best.mtime)) best = { dir, mtime: m.mtimeMs };
  }
  if (!best) throw new Error(`${root}: no corpus (a directory with manifest.json) found`);
  return best.dir;
}
