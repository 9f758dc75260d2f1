import { describe, expect, it } from "vitest";
import { stopOnSignals } from "./stop-on-signals.js";

describe("stopOnSignals", () => {
  it("stops once on the first signal and exits 0; a failing stop exits 1", async () => {
    const codes: number[] = [];
    const logs: string[] = [];
    let stops = 0;
    let fail = false;
    stopOnSignals(
      async () => {
        stops++;
        if (fail) throw new Error("boom");
      },
      (_level, msg) => logs.push(msg),
      (c) => codes.push(c),
    );
    process.emit("SIGTERM");
    process.emit("SIGINT"); // ignored: already stopping
    await new Promise((r) => setTimeout(r, 10));
    expect(stops).toBe(1);
    expect(codes).toEqual([0]);
    expect(logs).toEqual(["shutting down"]);
    fail = true;
    const failed: number[] = [];
    stopOnSignals(async () => Promise.reject(new Error("boom")), (_l, msg) => logs.push(msg), (c) => failed.push(c));
    process.emit("SIGINT");
    await new Promise((r) => setTimeout(r, 10));
    expect(failed).toEqual([1]);
    expect(logs).toContain("shutdown failed");
  });
});
