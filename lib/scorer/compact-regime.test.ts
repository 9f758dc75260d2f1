import { describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { RegimeOrders } from "./compact-regime.js";

const probs = (...regimes: number[]) => regimes.map((regime) => ({ regime: regime as Regime, probability: 0.5 }));

describe("RegimeOrders", () => {
  it("hands out one shared order per list of regimes, also when two models alternate", () => {
    const o = new RegimeOrders(8);
    const a = o.of(probs(4, 1, 5));
    const b = o.of(probs(1, 2));
    expect(a).toEqual([4, 1, 5]);
    expect(b).toEqual([1, 2]);
    expect(o.of(probs(4, 1, 5))).toBe(a);
    expect(o.of(probs(4, 1, 5))).toBe(a);
    expect(o.of(probs(1, 2))).toBe(b);
  });

  it.each([
    ["a regime outside the slots", probs(1, 8)],
    ["the unspecified regime", probs(0, 1)],
    ["a regime listed twice", probs(3, 3)],
  ])("has no order for %s", (_n, list) => expect(new RegimeOrders(8).of(list)).toBeUndefined());

  it("a list that merely starts like the last one is not taken for it", () => {
    const o = new RegimeOrders(8);
    o.of(probs(1, 2));
    expect(o.of(probs(1, 2, 2))).toBeUndefined();
    expect(o.of(probs(1, 2, 3))).toEqual([1, 2, 3]);
  });
});
