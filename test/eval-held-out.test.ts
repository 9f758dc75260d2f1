// Held-out accuracy against real regime-svc + scorer-svc servers (in-process factories, loopback gRPC).
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateHeldOut, HeldOutError } from "../lib/eval/accuracy/held-out.js";
import { CorpusReadError, readEvalCorpus } from "../lib/eval/accuracy/corpus-reader.js";
import { startStack, type RunningStack } from "../lib/eval/services/stack.js";
import { tempDir, writeBundleTrainedOn, writeSmallCorpus } from "../lib/eval/testing/fixtures.js";
import { writeFile, mkdir } from "node:fs/promises";

let stack: RunningStack;
let corpusDir: string;

beforeAll(async () => {
  const root = await tempDir("heldout");
  const bundle = path.join(root, "bundle");
  await writeBundleTrainedOn(bundle, ["upf-64b", "firewall-64b"]);
  corpusDir = path.join(root, "corpus");
  writeSmallCorpus(corpusDir, ["--seed", "4242", "--nodes", "4", "--intervals", "3"]);
  stack = await startStack({ bundleDir: bundle, regimeFlushMs: 1 });
});

afterAll(async () => {
  await stack?.stop();
});

describe("held-out accuracy of the served models", () => {
  it("scores every probe through scorer-svc and separates trained-on from held-out workloads", async () => {
    const progress: number[] = [];
    const r = await evaluateHeldOut({ corpusDir, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress, onProgress: (d) => progress.push(d) });
    const corpus = await readEvalCorpus(corpusDir);
    expect(r.overall.n).toBe(corpus.probeCount);
    expect(progress).toEqual([1, 2, 3]);
    expect(r.modelVersion).not.toBe("");
    const trained = r.perWorkload.filter((w) => w.trainedOn).map((w) => w.workloadClass);
    expect(trained.sort()).toEqual(["firewall-64b", "upf-64b"]);
    expect(r.trained.n + r.heldOut.n).toBe(r.overall.n);
    expect(r.heldOut.n).toBeGreaterThan(0);
    for (const g of [r.overall, r.trained, r.heldOut]) {
      expect(g.slowdownMae).toBeGreaterThanOrEqual(0);
      expect(g.upperBoundCoverage).toBeGreaterThanOrEqual(0);
      expect(g.upperBoundCoverage).toBeLessThanOrEqual(1);
    }
    expect(r.nodeRegimeAccuracy).not.toBeNull();
    expect(r.corpus.synthetic).toBe(true);
    expect(r.basisCounts.SCORE_BASIS_MODEL).toBe(r.overall.n);
  });

  it("a second run replays the same corpus again (new agent incarnation) with the same numbers", async () => {
    const a = await evaluateHeldOut({ corpusDir, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress, maxSequences: 1 });
    const b = await evaluateHeldOut({ corpusDir, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress, maxSequences: 1 });
    expect(b.overall).toEqual(a.overall);
    expect(a.overall.n).toBeGreaterThan(0);
  });

  it("bad corpora get clear errors", async () => {
    const root = await tempDir("badcorpus");
    await expect(readEvalCorpus(path.join(root, "missing"))).rejects.toThrow(CorpusReadError);
    const d = path.join(root, "c");
    await mkdir(d);
    await writeFile(path.join(d, "manifest.json"), JSON.stringify({ format: "nope" }));
    await expect(readEvalCorpus(d)).rejects.toThrow(/"format" must be "overseer-corpus"/);
    await writeFile(path.join(d, "manifest.json"), JSON.stringify({ format: "overseer-corpus", format_version: 1 }));
    await writeFile(path.join(d, "node_states.jsonl"), "");
    await writeFile(path.join(d, "performance.jsonl"), '{"nodeName":"a","sequence":1,"workloadClass":"x","slowdown":0.5}\n');
    await expect(readEvalCorpus(d)).rejects.toThrow(/slowdown must be a finite factor >= 1/);
    await writeFile(path.join(d, "performance.jsonl"), "{oops\n");
    await expect(readEvalCorpus(d)).rejects.toThrow(/performance.jsonl:1: not valid JSON/);
    await writeFile(path.join(d, "performance.jsonl"), "");
    await expect(evaluateHeldOut({ corpusDir: d, scorerAddress: stack.scorerAddress, regimeAddress: stack.regimeAddress })).rejects.toThrow(HeldOutError);
  });
});
