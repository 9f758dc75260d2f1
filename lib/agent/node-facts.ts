// The node's PMU facts: CPU model and CPUID from /proc/cpuinfo, sockets/cores/threads and the LLC
// size from sysfs (as lscpu reads them), memory channels and peak bandwidth from configuration
// (defaults: Sapphire Rapids, 8 DDR5-4800 channels per socket, 38.4 GB/s each).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PmuFacts } from "../../gen/overseer/v1/node_state.js";
import type { NodeCapacity } from "../features/counters.js";

/** DDR5-4800: 4800 MT/s x 8 bytes. */
export const SPR_CHANNEL_BYTES_PER_SEC = 4800e6 * 8;
export const SPR_CHANNELS_PER_SOCKET = 8;

export interface CpuInfo {
  vendor: string;
  family: number;
  model: number;
  modelName: string;
  sockets: number;
  coresPerSocket: number;
  logicalCpus: number;
  /** From "@ 2.00GHz" in the model name (Intel's nominal clock = TSC rate), 0 when not given. */
  nominalHz: number;
}

const MICROARCH: Record<string, string> = {
  "GenuineIntel-6-8F": "sapphirerapids",
  "GenuineIntel-6-CF": "emeraldrapids",
  "GenuineIntel-6-6A": "icelakex",
  "GenuineIntel-6-6C": "icelakex",
  "GenuineIntel-6-55": "skylakex",
  "GenuineIntel-6-AD": "graniterapids",
};

export function parseCpuinfo(text: string): CpuInfo {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  const field = (b: string, k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, "m").exec(b)?.[1]?.trim();
  const first = blocks[0] ?? "";
  const sockets = new Set(blocks.map((b) => field(b, "physical id") ?? "0")).size || 1;
  const modelName = field(first, "model name") ?? "";
  const ghz = /@\s*([\d.]+)\s*GHz/i.exec(modelName);
  return {
    vendor: field(first, "vendor_id") ?? "",
    family: Number(field(first, "cpu family") ?? 0),
    model: Number(field(first, "model") ?? 0),
    modelName,
    sockets,
    coresPerSocket: Number(field(first, "cpu cores") ?? 0),
    logicalCpus: blocks.length,
    nominalHz: ghz ? Number(ghz[1]) * 1e9 : 0,
  };
}

/** perf's CPUID form, e.g. "GenuineIntel-6-8F". */
export function cpuidOf(c: CpuInfo): string {
  if (!c.vendor) return "";
  return `${c.vendor}-${c.family}-${c.model.toString(16).toUpperCase()}`;
}

/** Sum of the distinct last-level cache instances, from /sys/devices/system/cpu/cpu N/cache. */
export function readLlcBytes(cpuDir = "/sys/devices/system/cpu"): number {
  let cpus: string[];
  try {
    cpus = readdirSync(cpuDir).filter((d) => /^cpu\d+$/.test(d));
  } catch {
    return 0;
  }
  const instances = new Map<string, number>();
  for (const cpu of cpus) {
    const cacheDir = join(cpuDir, cpu, "cache");
    let best: { level: number; size: number; shared: string } | undefined;
    let idx: string[] = [];
    try {
      idx = readdirSync(cacheDir).filter((d) => d.startsWith("index"));
    } catch {
      continue;
    }
    for (const i of idx) {
      try {
        const level = Number(readFileSync(join(cacheDir, i, "level"), "utf8"));
        const type = readFileSync(join(cacheDir, i, "type"), "utf8").trim();
        if (type === "Instruction") continue;
        const size = parseCacheSize(readFileSync(join(cacheDir, i, "size"), "utf8"));
        const shared = readFileSync(join(cacheDir, i, "shared_cpu_list"), "utf8").trim();
        if (!best || level > best.level) best = { level, size, shared };
      } catch {
        /* unreadable cache entry: skip */
      }
    }
    if (best) instances.set(`${best.level}:${best.shared}`, best.size);
  }
  return [...instances.values()].reduce((a, b) => a + b, 0);
}

export function parseCacheSize(text: string): number {
  const m = /^(\d+)\s*([KMG]?)/i.exec(text.trim());
  if (!m) return 0;
  const mult: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  return Number(m[1]) * mult[m[2]!.toUpperCase()]!;
}

export interface NodeFactsOverrides {
  /** 0 = derive (sockets x 8). */
  memoryChannels?: number;
  /** Bytes per second per channel (default DDR5-4800). */
  channelBytesPerSec?: number;
  /** 0 = derive (channels x channel rate). */
  peakMemoryBandwidthBytesPerSec?: number;
  /** 0 = from the model name's nominal clock, else unknown. */
  tscHz?: number;
  /** 0 = from sysfs. */
  llcBytes?: number;
  /** 0 = from /proc/cpuinfo (set it when replaying another node's recording). */
  logicalCpus?: number;
}

export interface NodeFacts {
  pmu: PmuFacts;
  capacity: NodeCapacity;
}

/** Static node facts; the event lists are filled in by the source after discovery. */
export function buildNodeFacts(cpu: CpuInfo, llcFromSysfs: number, o: NodeFactsOverrides = {}): NodeFacts {
  const channels = o.memoryChannels || cpu.sockets * SPR_CHANNELS_PER_SOCKET;
  const peak = o.peakMemoryBandwidthBytesPerSec || channels * (o.channelBytesPerSec || SPR_CHANNEL_BYTES_PER_SEC);
  const tscHz = o.tscHz || cpu.nominalHz;
  const llc = o.llcBytes || llcFromSysfs;
  const cpuid = cpuidOf(cpu);
  const logicalCpus = o.logicalCpus || cpu.logicalCpus;
  const pmu: PmuFacts = {
    cpuModel: cpu.modelName,
    cpuid,
    microarchitecture: MICROARCH[cpuid] ?? "",
    sockets: cpu.sockets,
    coresPerSocket: cpu.coresPerSocket,
    logicalCpus,
    llcBytes: llc,
    memoryChannels: channels,
    peakMemoryBandwidthBytesPerSec: peak,
    tscHz,
    imcPmuCount: 0,
    resctrlAvailable: false,
    availableEvents: [],
    missingEvents: [],
  };
  return { pmu, capacity: { logicalCpus, tscHz, llcBytes: llc, peakMemoryBandwidthBytesPerSec: peak } };
}

export function readLocalNodeFacts(o: NodeFactsOverrides = {}, procCpuinfo = "/proc/cpuinfo", cpuDir = "/sys/devices/system/cpu"): NodeFacts {
  let text = "";
  try {
    text = readFileSync(procCpuinfo, "utf8");
  } catch {
    /* no /proc: facts stay unknown (0) */
  }
  return buildNodeFacts(parseCpuinfo(text), readLlcBytes(cpuDir), o);
}
