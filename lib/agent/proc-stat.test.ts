import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createProcStatReader, parseProcStatBusyJiffies, PROC_BUSY } from "./proc-stat.js";

const line = (user: number, idle: number) => `cpu  ${user} 0 100 ${idle} 5 10 20 30 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n`;

describe("/proc/stat busy time", () => {
  it("sums user, nice, system, irq, softirq and steal (not idle or iowait)", () => {
    expect(parseProcStatBusyJiffies(line(1000, 99999))).toBe(1000 + 0 + 100 + 10 + 20 + 30);
  });
  it.each([["", "no aggregate cpu line"], ["cpu  1 2 x 4 5 6 7 8\n", "malformed"], ["cpu  1 2 3\n", "malformed"]])("rejects %j", (text, msg) => {
    expect(parseProcStatBusyJiffies(text)).toMatch(msg);
  });
  it("reports the delta in ms after a first unavailable window, and rejects a counter going backwards", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "procstat-"));
    const f = path.join(dir, "stat");
    writeFileSync(f, line(1000, 5000));
    const r = createProcStatReader(f, 100);
    expect(r.read()[PROC_BUSY]!.status).toBe("unavailable");
    writeFileSync(f, line(1150, 5100)); // 150 busy jiffies at 100 Hz = 1500 ms
    expect(r.read()[PROC_BUSY]).toEqual({ value: 1500, status: "counted", percentCounted: 100 });
    writeFileSync(f, line(900, 5200));
    expect(r.read()[PROC_BUSY]!.status).toBe("invalid");
  });
  it("a missing file is unavailable with the reason", () => {
    const r = createProcStatReader("/nonexistent/stat");
    expect(r.read()[PROC_BUSY]).toMatchObject({ status: "unavailable", detail: expect.stringMatching(/nonexistent/) });
  });
  it("reads the real /proc/stat of this machine", () => {
    const r = createProcStatReader();
    r.read();
    const second = r.read()[PROC_BUSY]!;
    expect(second.status).toBe("counted");
    expect(second.value).toBeGreaterThanOrEqual(0);
  });
});
