// Reads resctrl monitoring files: mon_data/mon_L3_XX/{llc_occupancy, mbm_total_bytes} summed over
// the L3 domains. llc_occupancy is a gauge (bytes now); mbm_total_bytes is cumulative, so the
// reading is the delta since the previous read. A file that reads "Unavailable" makes the event
// unavailable for that window; a cumulative counter going backwards makes it invalid.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CounterReading } from "../features/counters.js";

export const OCCUPANCY = "resctrl.llc_occupancy";
export const MBM_TOTAL = "resctrl.mbm_total_bytes";

export interface ResctrlReader {
  readonly available: boolean;
  /** Readings for the window that ends now (mbm: delta since the previous call). */
  read(): Record<string, CounterReading>;
}

type Sum = { ok: true; value: number } | { ok: false; detail: string };

function sumFiles(dirs: string[], file: string): Sum {
  let total = 0;
  for (const d of dirs) {
    let text: string;
    try {
      text = readFileSync(join(d, file), "utf8").trim();
    } catch (e) {
      return { ok: false, detail: `${join(d, file)}: ${(e as Error).message}` };
    }
    if (!/^\d+$/.test(text)) return { ok: false, detail: `${join(d, file)} reads "${text.slice(0, 40)}"` };
    total += Number(text);
  }
  return { ok: true, value: total };
}

export function createResctrlReader(root = "/sys/fs/resctrl"): ResctrlReader {
  const monData = join(root, "mon_data");
  const dirs = existsSync(monData)
    ? readdirSync(monData)
        .filter((d) => d.startsWith("mon_L3_"))
        .sort()
        .map((d) => join(monData, d))
    : [];
  const available = dirs.length > 0;
  let prevMbm: number | undefined;
  return {
    available,
    read() {
      if (!available) {
        const r: CounterReading = { value: 0, status: "unavailable", detail: `${monData} not present (resctrl not mounted or no L3 monitoring)` };
        return { [OCCUPANCY]: r, [MBM_TOTAL]: r };
      }
      const out: Record<string, CounterReading> = {};
      const occ = sumFiles(dirs, "llc_occupancy");
      out[OCCUPANCY] = occ.ok ? { value: occ.value, status: "counted", percentCounted: 100 } : { value: 0, status: "unavailable", detail: occ.detail };
      const mbm = sumFiles(dirs, "mbm_total_bytes");
      if (!mbm.ok) {
        out[MBM_TOTAL] = { value: 0, status: "unavailable", detail: mbm.detail };
        prevMbm = undefined;
      } else if (prevMbm === undefined) {
        out[MBM_TOTAL] = { value: 0, status: "unavailable", detail: "first read: no previous value to take a delta from" };
        prevMbm = mbm.value;
      } else {
        const delta = mbm.value - prevMbm;
        out[MBM_TOTAL] =
          delta < 0 ? { value: delta, status: "invalid", detail: `mbm_total_bytes went backwards by ${-delta}` } : { value: delta, status: "counted", percentCounted: 100 };
        prevMbm = mbm.value;
      }
      return out;
    },
  };
}
