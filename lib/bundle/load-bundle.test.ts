import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../features/catalog.js";
import { loadBundle } from "./load-bundle.js";
import { BundleError } from "./manifest.js";
import { writeTestBundle } from "./testing/make-test-bundle.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bundle-load-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectRefused(dir: string, reason: string, text: RegExp) {
  const err = await loadBundle(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BundleError);
  expect((err as BundleError).reason).toBe(reason);
  expect((err as BundleError).message).toMatch(text);
}

describe("loadBundle", () => {
  it("loads a valid bundle and runs both models in batches", async () => {
    const dir = await writeTestBundle(path.join(root, "ok"), { nanOnNegativeFeature: 3 });
    const b = await loadBundle(dir);
    expect(b.manifest.version).toBe("v1-testfixture-1");
    expect(b.regimeCount).toBe(5);
    const F = FEATURE_NAMES.length;
    const x = new Float32Array(2 * F * 2);
    x[F + FEATURE_NAMES.indexOf("mem_bandwidth_fraction_of_peak")] = 0.95;
    const probs = await b.classify(x, 2);
    expect(probs.length).toBe(10);
    expect(probs[0]! + probs[1]! + probs[2]! + probs[3]! + probs[4]!).toBeCloseTo(1, 5);
    const D = b.interferenceWidth;
    const y = new Float32Array(D * 2);
    y[D + 3] = -1;
    const out = await b.predict(y, 2);
    expect(out.slowdown[0]).toBeGreaterThanOrEqual(1);
    expect(out.upper[0]).toBeGreaterThan(out.slowdown[0]!);
    expect(Number.isNaN(out.slowdown[1])).toBe(true);
    await b.release();
  });

  it("the worker runner answers like the inline runner and fails cleanly once released", async () => {
    const dir = await writeTestBundle(path.join(root, "worker"), { nanOnNegativeFeature: 3 });
    const inline = await loadBundle(dir);
    const worker = await loadBundle(dir, { runner: "worker", inlineMaxRows: 0 });
    const D = worker.interferenceWidth;
    const make = () => {
      const y = new Float32Array(D * 3);
      y[FEATURE_NAMES.indexOf("mem_bandwidth_fraction_of_peak")] = 0.8;
      y[2 * D + 3] = -1;
      return y;
    };
    const a = await inline.predict(make(), 3);
    const reused = make();
    const b = await worker.predict(reused, 3);
    expect([...b.slowdown]).toEqual([...a.slowdown]);
    expect([...b.upper]).toEqual([...a.upper]);
    // the caller's input stays usable: a second run on the same array answers the same
    expect(reused.length).toBe(D * 3);
    expect([...(await worker.predict(reused, 3)).slowdown]).toEqual([...a.slowdown]);
    // a donated input is transferred (no copy): same answer, the caller's array is detached
    const donated = make();
    const lent = await worker.predict(donated, 3, true);
    expect([...lent.upper]).toEqual([...a.upper]);
    expect(donated.length).toBe(0);
    // ... and handed back with the answer, which it carries: the outputs are views of its buffer
    // (written over its first floats), so the answer adds no buffer of its own
    expect(lent.input!.length).toBe(D * 3);
    expect(lent.slowdown.buffer).toBe(lent.input!.buffer);
    expect(lent.upper.buffer).toBe(lent.input!.buffer);
    expect([...lent.slowdown]).toEqual([...a.slowdown]);
    // refilled, it serves the next run
    lent.input!.set(make());
    const again = await worker.predict(lent.input!, 3, true);
    expect([...again.slowdown]).toEqual([...a.slowdown]);
    expect([...again.upper]).toEqual([...a.upper]);
    // a view from the start of a larger buffer is lent whole (no copy) and comes back over the same-size buffer
    const head = new Float32Array(new Float32Array(D * 8).buffer, 0, D * 3);
    head.set(make());
    const headOut = await worker.predict(head, 3, true);
    expect(head.length).toBe(0);
    expect([headOut.input!.length, headOut.input!.buffer.byteLength]).toEqual([D * 3, D * 8 * 4]);
    expect([...headOut.upper]).toEqual([...a.upper]);
    // not donated: nothing handed back
    expect((await worker.predict(make(), 3)).input).toBeUndefined();
    // a view into a larger buffer but not at its start is copied even when donated
    const view = new Float32Array(new Float32Array(D * 4).buffer, 4 * D, D * 3);
    view.set(make());
    expect([...(await worker.predict(view, 3, true)).slowdown]).toEqual([...a.slowdown]);
    expect(view.length).toBe(D * 3);
    const F = FEATURE_NAMES.length;
    expect([...(await worker.classify(new Float32Array(2 * F), 1))]).toEqual([...(await inline.classify(new Float32Array(2 * F), 1))]);
    await Promise.all([inline.release(), worker.release()]);
    await expect(worker.predict(make(), 3)).rejects.toThrow(/inference worker/);
  });

  it("with inlineMaxMs, batches estimated to finish within it run inline, larger ones in the worker", async () => {
    const dir = await writeTestBundle(path.join(root, "inline-ms"));
    const D = (await loadBundle(dir).then(async (b) => (await b.release(), b))).interferenceWidth;
    // A donated input is detached only by the worker path: that tells which path ran.
    const ranInWorker = async (b: Awaited<ReturnType<typeof loadBundle>>, rows: number) => {
      const input = new Float32Array(rows * D);
      await b.predict(input, rows, true);
      return input.length === 0;
    };
    const generous = await loadBundle(dir, { runner: "worker", inlineMaxRows: 0, inlineMaxMs: 100 });
    const off = await loadBundle(dir, { runner: "worker", inlineMaxRows: 0, inlineMaxMs: 0 });
    const tiny = await loadBundle(dir, { runner: "worker", inlineMaxRows: 0, inlineMaxMs: 1e-9 });
    try {
      expect(await ranInWorker(generous, 300)).toBe(false);
      expect(await ranInWorker(off, 300)).toBe(true);
      expect(await ranInWorker(tiny, 300)).toBe(true);
      // the same answers either way
      const input = new Float32Array(300 * D).fill(0.1);
      expect([...(await generous.predict(input, 300)).upper]).toEqual([...(await off.predict(input, 300)).upper]);
    } finally {
      await Promise.all([generous.release(), off.release(), tiny.release()]);
    }
  });

  it("the worker runner refuses an ONNX file that does not load", async () => {
    const dir = await writeTestBundle(path.join(root, "worker-garbage"));
    const garbage = Buffer.from("still not onnx");
    await writeFile(path.join(dir, "interference.onnx"), garbage);
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
    m.files["interference.onnx"] = (await import("node:crypto")).createHash("sha256").update(garbage).digest("hex");
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
    const err = await loadBundle(dir, { runner: "worker" }).catch((e: unknown) => e);
    expect((err as BundleError).reason).toBe("onnx_invalid");
    expect((err as BundleError).message).toMatch(/interference\.onnx does not load/);
  });

  it("refuses a checksum mismatch", async () => {
    const dir = await writeTestBundle(path.join(root, "sum"));
    const f = path.join(dir, "interference.onnx");
    const bytes = await readFile(f);
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(f, bytes);
    await expectRefused(dir, "checksum_mismatch", /interference\.onnx has sha256/);
  });

  it("refuses a wrong schema version", async () => {
    const dir = await writeTestBundle(path.join(root, "schema"), { schemaVersion: 2 });
    await expectRefused(dir, "schema_mismatch", /schema_version is 2/);
  });

  it("refuses a different feature order", async () => {
    const names = [...FEATURE_NAMES];
    [names[0], names[1]] = [names[1]!, names[0]!];
    const dir = await writeTestBundle(path.join(root, "order"), { featureNames: names });
    await expectRefused(dir, "schema_mismatch", /feature_names\[0\]/);
  });

  it("refuses an ONNX file that does not parse even with a matching checksum", async () => {
    const dir = await writeTestBundle(path.join(root, "garbage"));
    const garbage = Buffer.from("not an onnx model");
    await writeFile(path.join(dir, "regime.onnx"), garbage);
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
    m.files["regime.onnx"] = (await import("node:crypto")).createHash("sha256").update(garbage).digest("hex");
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
    await expectRefused(dir, "onnx_invalid", /regime\.onnx does not load/);
  });

  it("refuses a missing file and malformed JSON", async () => {
    const dir = await writeTestBundle(path.join(root, "missing"));
    await rm(path.join(dir, "regime.onnx"));
    await expectRefused(dir, "unreadable", /regime\.onnx/);
    await writeFile(path.join(dir, "manifest.json"), "{ not json");
    await expectRefused(dir, "format", /not valid JSON/);
  });
});
