import { PerformanceObserver, constants } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { BufferGc, collectYoungGeneration, startBufferGc, v8Gc } from "./buffer-gc.js";

const MB = 1024 * 1024;

function fakeGc(levels: number[]) {
  let i = 0;
  const collected: number[] = [];
  const gc = new BufferGc({
    thresholdBytes: 4 * MB,
    externalBytes: () => levels[Math.min(i, levels.length - 1)]!,
    collect: () => collected.push(i),
  });
  const step = () => {
    i++;
    return gc.check();
  };
  return { gc, step, collected };
}

describe("BufferGc", () => {
  it("collects once external memory is the threshold above the level it started at", () => {
    const { step, collected } = fakeGc([10 * MB, 12 * MB, 13.9 * MB, 14 * MB]);
    expect([step(), step(), step()]).toEqual([false, false, true]);
    expect(collected).toEqual([3]);
  });

  it("measures growth from the lowest level seen, so freed buffers move the base down", () => {
    // 20 -> 8 (a collection V8 ran itself freed buffers) -> 12 is 4 MB above the new low.
    const { step, collected } = fakeGc([20 * MB, 8 * MB, 11 * MB, 12 * MB]);
    expect([step(), step(), step()]).toEqual([false, false, true]);
    expect(collected).toEqual([3]);
  });

  it("does not collect again while the figure still shows the buffers the last collection freed", () => {
    // V8 lowers the figure only when the next buffer is allocated; an idle service keeps showing 14 MB.
    const { step, collected } = fakeGc([10 * MB, 14 * MB, 14 * MB, 14 * MB, 17 * MB, 18 * MB]);
    expect([step(), step(), step(), step(), step()]).toEqual([true, false, false, false, true]);
    expect(collected).toEqual([1, 5]);
  });

  it("counts each collection with its duration", () => {
    const ms: number[] = [];
    let level = 0;
    const gc = new BufferGc({ thresholdBytes: MB, externalBytes: () => level, collect: () => undefined, onCollect: (d) => ms.push(d) });
    level = 2 * MB;
    gc.check();
    expect(ms).toHaveLength(1);
    expect(ms[0]).toBeGreaterThanOrEqual(0);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])("refuses the threshold %s", (t) => {
    expect(() => new BufferGc({ thresholdBytes: t, externalBytes: () => 0, collect: () => undefined })).toThrow(/positive number of bytes/);
  });

  it("checks on its timer until stopped", async () => {
    let checks = 0;
    const gc = new BufferGc({ thresholdBytes: MB, intervalMs: 5, externalBytes: () => (checks++, 0), collect: () => undefined }).start();
    await new Promise((r) => setTimeout(r, 60));
    gc.stop();
    const seen = checks;
    expect(seen).toBeGreaterThan(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(checks).toBe(seen);
  });
});

describe("collectYoungGeneration (real V8)", () => {
  it("hands over V8's gc function without --expose-gc on the command line, and runs a minor collection", async () => {
    expect(typeof v8Gc()).toBe("function");
    const kinds: number[] = [];
    const obs = new PerformanceObserver((list) => kinds.push(...list.getEntries().map((e) => (e.detail as { kind: number }).kind)));
    obs.observe({ entryTypes: ["gc"] });
    collectYoungGeneration();
    await new Promise((r) => setTimeout(r, 20));
    obs.disconnect();
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MINOR);
  });

  it("frees dead buffers: external memory falls once the next buffer is allocated", async () => {
    collectYoungGeneration();
    new ArrayBuffer(16); // settles the sweep of anything freed before
    const before = getHeapStatistics().external_memory;
    for (let i = 0; i < 100; i++) new ArrayBuffer(100_000);
    const piled = getHeapStatistics().external_memory;
    // (other buffers of the test runner come and go meanwhile: the figures are compared with margins)
    expect(piled - before).toBeGreaterThanOrEqual(8_000_000);
    collectYoungGeneration();
    // The freed buffers are swept concurrently; V8 settles the figure when a buffer is next allocated.
    let after = piled;
    for (let tries = 0; tries < 50 && piled - after < 8_000_000; tries++) {
      await new Promise((r) => setTimeout(r, 1));
      new ArrayBuffer(16);
      after = getHeapStatistics().external_memory;
    }
    expect(piled - after).toBeGreaterThanOrEqual(8_000_000);
  });
});

describe("startBufferGc (real V8, its timer)", () => {
  const counted = async (r: Registry, prefix: string) => (await r.getSingleMetric(`${prefix}_buffer_gcs_total`)!.get()).values[0]!.value;

  it("is off at 0 MB", () => {
    const r = new Registry();
    expect(startBufferGc(0, r, "a")).toBeUndefined();
    expect(r.getSingleMetric("a_buffer_gcs_total")).toBeUndefined();
  });

  it("one collector per process: services in it share it and each counts its collections", async () => {
    const ra = new Registry();
    const rb = new Registry();
    const a = startBufferGc(1, ra, "a")!;
    const b = startBufferGc(1, rb, "b")!;
    try {
      const keep: ArrayBuffer[] = [];
      for (let i = 0; i < 30 && (await counted(ra, "a")) === 0; i++) {
        for (let k = 0; k < 20; k++) keep.push(new ArrayBuffer(100_000));
        keep.length = 0;
        await new Promise((r) => setTimeout(r, 60));
      }
      const na = await counted(ra, "a");
      expect(na).toBeGreaterThan(0);
      // The same collections, not one each.
      expect(await counted(rb, "b")).toBe(na);
      const secs = (await rb.getSingleMetric("b_buffer_gc_seconds_total")!.get()).values[0]!.value;
      expect(secs).toBeGreaterThan(0);
    } finally {
      a.stop();
      b.stop();
    }
    // Stopped by the last one leaving: no more collections counted.
    const after = await counted(ra, "a");
    for (let k = 0; k < 40; k++) new ArrayBuffer(100_000);
    await new Promise((r) => setTimeout(r, 120));
    expect(await counted(ra, "a")).toBe(after);
  });
});
