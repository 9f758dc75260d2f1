import { describe, expect, it } from "vitest";
import { growTyped } from "./grow-typed.js";

describe("growTyped", () => {
  it("returns the array itself when it is long enough", () => {
    const a = new Float64Array(8);
    expect(growTyped(a, 8)).toBe(a);
  });

  it("doubles from at least 1,024 until the length fits, keeps the contents and the element type", () => {
    const a = Int32Array.from([7, -3, 5]);
    const g = growTyped(a, 4);
    expect(g).toBeInstanceOf(Int32Array);
    expect(g.length).toBe(1024);
    expect([...g.subarray(0, 4)]).toEqual([7, -3, 5, 0]);
    expect(growTyped(new Uint8Array(1024), 1025).length).toBe(2048);
    expect(growTyped(new Float32Array(1024), 5000).length).toBe(8192);
  });
});
