// Drift -> retraining -> champion/challenger -> atomic promotion, against real regime-svc and
// scorer-svc servers that serve <registry>/current and hot-reload it. The trainer is a real child
// process; here a small fake (copies a prepared bundle, or crashes, or writes a corrupt one) keeps
// the suite fast. The same flow with the Python pipeline: test/eval-retrain-python.test.ts.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateHeldOut, getModelInfo } from "../lib/eval/accuracy/held-out.js";
import { BundleRegistry } from "../lib/eval/retrain/bundle-registry.js";
import { detectDrift } from "../lib/eval/retrain/decide.js";
import { createStackEvaluator, newestCorpus, retrain } from "../lib/eval/retrain/retrain.js";
import { createCommandTrainer, type Trainer } from "../lib/eval/retrain/trainer.js";
import { startStack, type RunningStack } from "../lib/eval/services/stack.js";
import { tempDir, writeBundleTrainedOn, writeSmallCorpus } from "../lib/eval/testing/fixtures.js";

const FAKE_TRAINER = `
const fs = require("node:fs");
const path = require("node:path");
const [out, src, mode] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
console.log("fake trainer: " + mode);
if (mode === "crash") {
  fs.copyFileSync(path.join(src, "manifest.json"), path.join(out, "manifest.json"));
  process.kill(process.pid, "SIGKILL");
}
fs.cpSync(src, out, { recursive: true });
if (mode === "corrupt") {
  const f = path.join(out, "interference.onnx");
  const b = fs.readFileSync(f);
  b[b.length >> 1] ^= 0xff;
  fs.writeFileSync(f, b);
}
`;

let root: string;
let registry: BundleRegistry;
let stack: RunningStack;
let heldOut: string;
let corpora: string;
let script: string;
const bundles: Record<string, string> = {};

function fakeTrainer(src: string, mode: "copy" | "crash" | "corrupt"): Trainer {
  return createCommandTrainer({ command: [process.execPath, script, "{out}", src, mode] });
}

async function servedVersion(): Promise<string> {
  return (await getModelInfo(stack.regimeAddress)).model!.version;
}

async function waitServed(version: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await servedVersion()) !== version) {
    if (Date.now() > until) throw new Error(`services still serve ${await servedVersion()}, not ${version}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  root = await tempDir("retrain");
  script = path.join(root, "fake-trainer.cjs");
  await writeFile(script, FAKE_TRAINER);
  // Champion: over-predicts contention (scale 1); good challenger: scale 0.7; worse: scale 3.
  for (const [name, scale] of [["champion", 1], ["good", 0.7], ["worse", 3]] as const) {
    bundles[name] = path.join(root, "src", name);
    await writeBundleTrainedOn(bundles[name]!, ["upf-64b", "firewall-64b"], { slowdownScale: scale, version: `${name}-v1` });
  }
  // The workload mix shifts: the fresh corpus is dominated by memory-heavy neighbours and UPF traffic.
  corpora = path.join(root, "corpora");
  writeSmallCorpus(path.join(corpora, "older"), ["--seed", "5", "--nodes", "3", "--intervals", "2"]);
  heldOut = path.join(root, "heldout");
  writeSmallCorpus(heldOut, ["--seed", "9001", "--nodes", "4", "--intervals", "3", "--mix", "upf-1500b=3,upf-64b=1,mem-bw-streamer=3,llc-thrasher=1"]);
  await new Promise((r) => setTimeout(r, 20));
  writeSmallCorpus(path.join(corpora, "newest"), ["--seed", "9002", "--nodes", "3", "--intervals", "2", "--mix", "upf-1500b=3,mem-bw-streamer=3"]);
  registry = new BundleRegistry(path.join(root, "registry"));
  await registry.init(bundles.champion);
  stack = await startStack({ bundleDir: registry.currentLink, pollIntervalMs: 100, regimeFlushMs: 1 });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe("retraining and promotion", () => {
  it("picks the newest corpus", async () => {
    expect(await newestCorpus(corpora)).toBe(path.join(corpora, "newest"));
    await expect(newestCorpus(path.join(root, "src"))).rejects.toThrow(/no corpus/);
  });

  it("a worse challenger is not promoted; the champion keeps serving", async () => {
    const before = await registry.currentTarget();
    const out = await retrain({ registry, trainer: fakeTrainer(bundles.worse!, "copy"), trainingCorpusDir: await newestCorpus(corpora), heldOutCorpusDir: heldOut, seed: 3, reason: "test", evaluate: createStackEvaluator(heldOut) });
    expect(out.record.promoted).toBe(false);
    expect(out.record.challengerVersion).toBe("worse-v1");
    expect(out.record.decision).toMatch(/not better/);
    expect(out.challengerAccuracy!.overall.slowdownMape!).toBeGreaterThan(out.championAccuracy!.overall.slowdownMape!);
    expect(await registry.currentTarget()).toBe(before);
    expect(await readdir(path.join(registry.root, "staging"))).toEqual([]);
    expect(await servedVersion()).toBe("champion-v1");
  });

  it("a crash mid-training leaves the champion serving", async () => {
    const before = await registry.currentTarget();
    const out = await retrain({ registry, trainer: fakeTrainer(bundles.good!, "crash"), trainingCorpusDir: heldOut, heldOutCorpusDir: heldOut, seed: 3, reason: "test", evaluate: createStackEvaluator(heldOut) });
    expect(out.record.promoted).toBe(false);
    expect(out.record.decision).toMatch(/training failed: training was killed by SIGKILL/);
    expect(await registry.currentTarget()).toBe(before);
    expect(await readdir(path.join(registry.root, "staging"))).toEqual([]);
    expect(await servedVersion()).toBe("champion-v1");
  });

  it("a corrupt challenger bundle is refused before it is judged", async () => {
    const out = await retrain({ registry, trainer: fakeTrainer(bundles.good!, "corrupt"), trainingCorpusDir: heldOut, heldOutCorpusDir: heldOut, seed: 3, reason: "test", evaluate: createStackEvaluator(heldOut) });
    expect(out.record.promoted).toBe(false);
    expect(out.record.decision).toMatch(/not loadable/);
    expect(out.championAccuracy).toBeUndefined();
    expect(await servedVersion()).toBe("champion-v1");
  });

  it("a trainer that cannot start is a clear failure", async () => {
    const out = await retrain({ registry, trainer: createCommandTrainer({ command: [path.join(root, "no-such-python")] }), trainingCorpusDir: heldOut, heldOutCorpusDir: heldOut, seed: 3, reason: "test", evaluate: createStackEvaluator(heldOut) });
    expect(out.record.decision).toMatch(/training failed: cannot start/);
  });

  it("end to end: the mix shifts, drift is detected, the better challenger is promoted and the services serve it", async () => {
    const served = await evaluateHeldOut({ corpusDir: heldOut, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress });
    expect(served.modelVersion).toBe("champion-v1");
    const drift = detectDrift(served.overall, { maxSlowdownMape: 0.4, minUpperBoundCoverage: 0.9 });
    expect(drift.drifted).toBe(true);
    const oldTarget = await registry.currentTarget();
    const out = await retrain({ registry, trainer: fakeTrainer(bundles.good!, "copy"), trainingCorpusDir: await newestCorpus(corpora), heldOutCorpusDir: heldOut, seed: 3, reason: drift.reasons.join("; "), evaluate: createStackEvaluator(heldOut) });
    expect(out.record.promoted).toBe(true);
    expect(out.record.challengerVersion).toBe("good-v1");
    expect(out.record.trainingCorpusDir).toBe(path.join(corpora, "newest"));
    expect(await registry.currentTarget()).not.toBe(oldTarget);
    await waitServed("good-v1");
    const after = await evaluateHeldOut({ corpusDir: heldOut, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress });
    expect(after.modelVersion).toBe("good-v1");
    expect(after.overall.slowdownMape!).toBeLessThan(served.overall.slowdownMape!);
    expect(detectDrift(after.overall, { maxSlowdownMape: 0.4, minUpperBoundCoverage: 0.9 }).drifted).toBe(false);
    // History: both bundles kept, every decision recorded.
    expect((await readdir(path.join(registry.root, "bundles"))).length).toBe(2);
    const events = (await registry.history()).map((h) => h.event);
    expect(events[0]).toBe("initial");
    expect(events.at(-1)).toBe("promoted");
    expect(events.filter((e) => e === "kept-champion").length).toBe(4);
  });
});
