import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createResctrlReader, MBM_TOTAL, OCCUPANCY } from "./resctrl.js";

function tree(domains: Record<string, { occ: string; mbm: string }>) {
  const root = mkdtempSync(join(tmpdir(), "resctrl-"));
  const set = (d: string, v: { occ: string; mbm: string }) => {
    mkdirSync(join(root, "mon_data", d), { recursive: true });
    writeFileSync(join(root, "mon_data", d, "llc_occupancy"), `${v.occ}\n`);
    writeFileSync(join(root, "mon_data", d, "mbm_total_bytes"), `${v.mbm}\n`);
  };
  for (const [d, v] of Object.entries(domains)) set(d, v);
  return { root, set };
}

describe("resctrl reader", () => {
  it("not mounted: both events unavailable with the path", () => {
    const r = createResctrlReader(join(tmpdir(), "no-such-resctrl"));
    expect(r.available).toBe(false);
    expect(r.read()[OCCUPANCY]).toMatchObject({ status: "unavailable", detail: expect.stringMatching(/not present/) });
  });

  it("sums L3 domains; occupancy is a gauge, MBM a delta from the previous read", () => {
    const t = tree({ mon_L3_00: { occ: "1000", mbm: "5000" }, mon_L3_01: { occ: "500", mbm: "7000" } });
    const r = createResctrlReader(t.root);
    expect(r.available).toBe(true);
    const first = r.read();
    expect(first[OCCUPANCY]).toMatchObject({ status: "counted", value: 1500 });
    expect(first[MBM_TOTAL]!.status).toBe("unavailable"); // no previous value yet
    t.set("mon_L3_00", { occ: "2000", mbm: "6000" });
    t.set("mon_L3_01", { occ: "0", mbm: "9000" });
    const second = r.read();
    expect(second[OCCUPANCY]!.value).toBe(2000);
    expect(second[MBM_TOTAL]).toMatchObject({ status: "counted", value: 3000 });
  });

  it("'Unavailable' in a file and a counter going backwards are reported, not zeros", () => {
    const t = tree({ mon_L3_00: { occ: "Unavailable", mbm: "100" } });
    const r = createResctrlReader(t.root);
    expect(r.read()[OCCUPANCY]).toMatchObject({ status: "unavailable", detail: expect.stringMatching(/Unavailable/) });
    t.set("mon_L3_00", { occ: "1", mbm: "50" });
    expect(r.read()[MBM_TOTAL]).toMatchObject({ status: "invalid", value: -50 });
  });
});
