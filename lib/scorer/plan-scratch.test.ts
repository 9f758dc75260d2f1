import { describe, expect, it } from "vitest";
import type { NodeRecord } from "./node-state-store.js";
import { PlanScratch } from "./plan-scratch.js";

const rec = (name: string) => ({ name }) as NodeRecord;

describe("PlanScratch", () => {
  it("lends a list with nothing in it and a zeroed block, and takes them back cleared", () => {
    const p = new PlanScratch();
    const a = p.take(3, 64);
    expect(a.recs.length).toBeGreaterThanOrEqual(3);
    expect(a.block.byteLength).toBeGreaterThanOrEqual(64);
    a.recs[0] = rec("x");
    a.recs[2] = rec("y");
    new Uint8Array(a.block).fill(9);
    p.give(a, 3);
    expect(p.idleCount).toBe(1);
    const b = p.take(2, 40);
    expect(b).toBe(a);
    expect(b.recs.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect([...new Uint8Array(b.block, 0, 40)].every((x) => x === 0)).toBe(true);
  });

  it("two leases out at once are distinct; one too small for the call is replaced", () => {
    const p = new PlanScratch();
    const a = p.take(2, 16);
    const b = p.take(2, 16);
    expect(a).not.toBe(b);
    p.give(a, 2);
    const c = p.take(10, 16);
    expect(c).not.toBe(a);
    expect(c.recs.length).toBeGreaterThanOrEqual(10);
    p.give(c, 10);
    const d = p.take(1, 4096);
    expect(d.block.byteLength).toBeGreaterThanOrEqual(4096);
  });

  it("keeps at most maxIdle leases", () => {
    const p = new PlanScratch(2);
    const leases = [p.take(1, 8), p.take(1, 8), p.take(1, 8)];
    for (const l of leases) p.give(l, 1);
    expect(p.idleCount).toBe(2);
  });
});
