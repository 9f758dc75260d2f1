// The retraining loop with the real Python training pipeline (slow: two trainings of minutes on a
// loaded machine). Runs only with OVERSEER_EVAL_PYTHON_E2E=1 and training/.venv present:
//   OVERSEER_EVAL_PYTHON_E2E=1 npx vitest run test/eval-retrain-python.test.ts
// Champion trained on a quiet workload mix; the mix shifts to memory/LLC-heavy neighbours; the served
// champion drifts on fresh data; a challenger trained on the newest (shifted) corpus is judged on the
// same held-out data, promoted when better, and regime-svc/scorer-svc serve it after hot reload.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { evaluateHeldOut, getModelInfo } from "../lib/eval/accuracy/held-out.js";
import { BundleRegistry } from "../lib/eval/retrain/bundle-registry.js";
import { detectDrift } from "../lib/eval/retrain/decide.js";
import { createStackEvaluator, newestCorpus, retrain } from "../lib/eval/retrain/retrain.js";
import { createCommandTrainer, defaultTrainingCommand } from "../lib/eval/retrain/trainer.js";
import { startStack, type RunningStack } from "../lib/eval/services/stack.js";
import { tempDir, writeSmallCorpus } from "../lib/eval/testing/fixtures.js";

const PYTHON = path.resolve("training/.venv/bin/python");
const enabled = process.env.OVERSEER_EVAL_PYTHON_E2E === "1" && existsSync(PYTHON);
let stack: RunningStack | undefined;

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(!enabled)("retraining with the Python pipeline (end to end)", () => {
  it("drift on a shifted mix -> retrain on the newest corpus -> better challenger promoted and served", async () => {
    const root = await tempDir("pyretrain");
    const trainer = createCommandTrainer({ command: defaultTrainingCommand(PYTHON), cwd: path.resolve("training"), timeoutMs: 20 * 60_000 });
    const quiet = "firewall-64b=1,nat-64b=1,l3-router-64b=1,compute-bound=3,mixed-analytics=1";
    const shifted = "upf-1500b=2,dpi-1500b=2,mem-bw-streamer=3,llc-thrasher=3";
    const corpora = path.join(root, "corpora");
    writeSmallCorpus(path.join(corpora, "a-quiet"), ["--seed", "21", "--nodes", "6", "--intervals", "12", "--mix", quiet]);
    const championDir = path.join(root, "champion");
    await trainer.train(path.join(corpora, "a-quiet"), championDir, 1);
    const registry = new BundleRegistry(path.join(root, "registry"));
    await registry.init(championDir);
    stack = await startStack({ bundleDir: registry.currentLink, pollIntervalMs: 200, regimeFlushMs: 1 });

    const heldOut = path.join(root, "heldout");
    writeSmallCorpus(heldOut, ["--seed", "23", "--nodes", "6", "--intervals", "6", "--mix", shifted]);
    await new Promise((r) => setTimeout(r, 20));
    writeSmallCorpus(path.join(corpora, "b-shifted"), ["--seed", "22", "--nodes", "6", "--intervals", "12", "--mix", shifted]);

    const served = await evaluateHeldOut({ corpusDir: heldOut, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress });
    const trainedMape = JSON.parse(await readFile(path.join(championDir, "manifest.json"), "utf8")).held_out_metrics.overall.slowdown_mape as number;
    // Drift bound: the served error on fresh data may not exceed 1.5x what training measured.
    const drift = detectDrift(served.overall, { maxSlowdownMape: 1.5 * trainedMape, minUpperBoundCoverage: 0.8 });
    expect(drift.drifted, `served ${JSON.stringify(served.overall)} vs trained MAPE ${trainedMape}`).toBe(true);

    const out = await retrain({ registry, trainer, trainingCorpusDir: await newestCorpus(corpora), heldOutCorpusDir: heldOut, seed: 1, reason: drift.reasons.join("; "), evaluate: createStackEvaluator(heldOut) });
    expect(out.record.trainingCorpusDir).toBe(path.join(corpora, "b-shifted"));
    expect(out.record.promoted, out.record.decision).toBe(true);
    const until = Date.now() + 30_000;
    while ((await getModelInfo(stack.regimeAddress)).model!.version !== out.record.challengerVersion) {
      if (Date.now() > until) throw new Error("services did not switch to the promoted bundle");
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await evaluateHeldOut({ corpusDir: heldOut, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress });
    expect(after.overall.slowdownMape!).toBeLessThan(served.overall.slowdownMape!);
  }, 40 * 60_000);
});
