import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleHolder } from "./bundle-holder.js";
import { writeTestBundle } from "./testing/make-test-bundle.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "bundle-holder-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("BundleHolder", () => {
  it("starts without a model when the directory holds no bundle, then picks one up", async () => {
    const dir = path.join(root, "late");
    const refused: string[] = [];
    const h = new BundleHolder({ dir, pollIntervalMs: 0, onRefused: (r) => refused.push(r) });
    expect(await h.start()).toBe("refused");
    expect(h.current()).toBeUndefined();
    expect(refused).toEqual(["unreadable"]);
    await writeTestBundle(dir, { version: "v-late" });
    expect(await h.checkNow()).toBe("loaded");
    expect(h.current()?.manifest.version).toBe("v-late");
    await h.stop();
  });

  it("swaps to a new bundle, ignores an unchanged directory, and keeps serving after a refusal", async () => {
    const dir = await writeTestBundle(path.join(root, "swap"), { version: "v-a" });
    const loaded: string[] = [];
    const refused: string[] = [];
    const h = new BundleHolder({ dir, pollIntervalMs: 0, onLoaded: (b) => loaded.push(b.manifest.version), onRefused: (r) => refused.push(r) });
    await h.start();
    expect(await h.checkNow()).toBe("unchanged");
    await writeTestBundle(dir, { version: "v-b" });
    expect(await h.checkNow()).toBe("loaded");
    // Corrupt the ONNX file: checksum mismatch, refused, v-b keeps serving.
    const f = path.join(dir, "regime.onnx");
    const bytes = await readFile(f);
    bytes[10] ^= 0xff;
    await writeFile(f, bytes);
    expect(await h.checkNow()).toBe("refused");
    expect(h.current()?.manifest.version).toBe("v-b");
    expect(refused).toEqual(["checksum_mismatch"]);
    // The same corrupt state is not retried; a repaired bundle is loaded.
    expect(await h.checkNow()).toBe("unchanged");
    await writeTestBundle(dir, { version: "v-c" });
    expect(await h.checkNow()).toBe("loaded");
    expect(loaded).toEqual(["v-a", "v-b", "v-c"]);
    await h.stop();
  });

  it("keeps the old sessions alive for a request that started before the swap", async () => {
    const dir = await writeTestBundle(path.join(root, "inflight"), { version: "v-old" });
    const h = new BundleHolder({ dir, pollIntervalMs: 0 });
    await h.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const during = h.use(async (b) => {
      await gate;
      return { version: b.manifest.version, probs: await b.classify(new Float32Array(2 * b.featureCount), 1) };
    });
    await writeTestBundle(dir, { version: "v-new" });
    expect(await h.checkNow()).toBe("loaded");
    release();
    const r = await during;
    expect(r.version).toBe("v-old");
    expect(r.probs.length).toBe(5);
    expect(h.current()?.manifest.version).toBe("v-new");
    await h.stop();
  });
});
