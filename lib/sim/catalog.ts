// The workload catalog: network functions and noisy neighbours as model parameters (data/workloads.json).
// Parameters are microarchitectural (CPI without misses, L2 misses per instruction, working set,
// access skew, memory-level parallelism); every slowdown follows from the contention model.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CATALOG_FORMAT = "overseer-workload-catalog";
export const CATALOG_VERSION = 1;
const PIPELINE_WIDTH = 6;

export type WorkloadKind = "cnf" | "neighbour";

export interface Workload {
  /** Position in the catalog (stable within one loaded catalog). */
  id: number;
  class: string;
  kind: WorkloadKind;
  description: string;
  /** Logical CPUs the workload keeps busy (pinned, polling). */
  cores: number;
  /** Neighbours: range of logical CPUs an arriving instance uses. */
  coresMin: number;
  coresMax: number;
  /** Name of one unit of work (packet, cache line, op) and its cost. */
  unit: string;
  instructionsPerUnit: number;
  packetBytes?: number;
  /** Core cycles per instruction when every access hits L1/L2, at the physics clock. */
  coreCpi: number;
  uopsPerInstr: number;
  /** Shares of the core (non-memory-stall) slots lost to the front end and to bad speculation. */
  frontendShareOfCoreSlots: number;
  badSpecShareOfCoreSlots: number;
  /** Demand + prefetch accesses that miss L2 and go to the LLC, per 1000 instructions. */
  l2MissesPerKiloInstr: number;
  llcWorkingSetBytes: number;
  /** LLC hit ratio of those accesses when the whole working set fits (1 - compulsory/streaming share). */
  llcReuseFraction: number;
  /** Hit ratio grows as (share / working set)^exponent: 1 = uniform access, < 1 = skewed (hot subset). */
  hitCurveExponent: number;
  /** Average misses in flight that overlap (Little's law): stall time = latency / MLP per miss. */
  memoryLevelParallelism: number;
  /** DRAM bytes written per DRAM byte read (write-backs). */
  writeToReadRatio: number;
}

export interface WorkloadCatalog {
  workloads: readonly Workload[];
  byClass: ReadonlyMap<string, Workload>;
  cnfs: readonly Workload[];
  neighbours: readonly Workload[];
  source: string;
}

export class CatalogError extends Error {}

type Rule = { key: string; min: number; max: number; optional?: boolean; integer?: boolean };
const NUMERIC: readonly Rule[] = [
  { key: "cores", min: 1, max: 1024, integer: true },
  { key: "coresMin", min: 1, max: 1024, integer: true, optional: true },
  { key: "coresMax", min: 1, max: 1024, integer: true, optional: true },
  { key: "instructionsPerUnit", min: 1, max: 1e9 },
  { key: "packetBytes", min: 40, max: 65536, optional: true, integer: true },
  { key: "coreCpi", min: 0.17, max: 20 },
  { key: "uopsPerInstr", min: 0.5, max: 6 },
  { key: "frontendShareOfCoreSlots", min: 0, max: 0.9 },
  { key: "badSpecShareOfCoreSlots", min: 0, max: 0.9 },
  { key: "l2MissesPerKiloInstr", min: 0, max: 500 },
  { key: "llcWorkingSetBytes", min: 4096, max: 1e12 },
  { key: "llcReuseFraction", min: 0, max: 1 },
  { key: "hitCurveExponent", min: 0.1, max: 3 },
  { key: "memoryLevelParallelism", min: 1, max: 64 },
  { key: "writeToReadRatio", min: 0, max: 4 },
];

const CLASS_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Validate a parsed catalog document. `source` names it in error messages. */
export function parseWorkloadCatalog(doc: unknown, source = "<catalog>"): WorkloadCatalog {
  const fail = (msg: string): never => {
    throw new CatalogError(`${source}: ${msg}`);
  };
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("must be a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.format !== CATALOG_FORMAT) fail(`"format" must be "${CATALOG_FORMAT}", got ${JSON.stringify(d.format)}`);
  if (d.version !== CATALOG_VERSION) fail(`"version" must be ${CATALOG_VERSION}, got ${JSON.stringify(d.version)}`);
  if (!Array.isArray(d.workloads) || d.workloads.length === 0) fail(`"workloads" must be a non-empty array`);
  const workloads: Workload[] = [];
  const byClass = new Map<string, Workload>();
  (d.workloads as unknown[]).forEach((raw, i) => {
    const at = `workloads[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail(`${at} must be an object`);
    const r = raw as Record<string, unknown>;
    const cls = r.class;
    if (typeof cls !== "string" || !CLASS_RE.test(cls)) fail(`${at}.class must be a lowercase name like "upf-64b", got ${JSON.stringify(cls)}`);
    const name = `${at} ("${cls as string}")`;
    if (byClass.has(cls as string)) fail(`${name}: duplicate class`);
    if (r.kind !== "cnf" && r.kind !== "neighbour") fail(`${name}.kind must be "cnf" or "neighbour", got ${JSON.stringify(r.kind)}`);
    if (typeof r.unit !== "string" || r.unit === "") fail(`${name}.unit must be a non-empty string`);
    const nums: Record<string, number | undefined> = {};
    for (const rule of NUMERIC) {
      const v = r[rule.key];
      if (v === undefined && rule.optional) continue;
      if (typeof v !== "number" || !Number.isFinite(v)) fail(`${name}.${rule.key} must be a finite number, got ${JSON.stringify(v)}`);
      const n = v as number;
      if (n < rule.min || n > rule.max) fail(`${name}.${rule.key} = ${n} is outside [${rule.min}, ${rule.max}]`);
      if (rule.integer && !Number.isInteger(n)) fail(`${name}.${rule.key} must be an integer, got ${n}`);
      nums[rule.key] = n;
    }
    const coresMin = nums.coresMin ?? nums.cores!;
    const coresMax = nums.coresMax ?? nums.cores!;
    if (!(coresMin <= nums.cores! && nums.cores! <= coresMax)) fail(`${name}: need coresMin <= cores <= coresMax (${coresMin}, ${nums.cores}, ${coresMax})`);
    const coreSlots = PIPELINE_WIDTH * nums.coreCpi!;
    const used = nums.uopsPerInstr! / coreSlots + nums.frontendShareOfCoreSlots! + nums.badSpecShareOfCoreSlots!;
    if (used > 1 + 1e-9) {
      fail(`${name}: uopsPerInstr / (${PIPELINE_WIDTH} * coreCpi) + frontendShareOfCoreSlots + badSpecShareOfCoreSlots = ${used.toFixed(3)} exceeds 1 (more slots than the core has)`);
    }
    const w: Workload = {
      id: workloads.length,
      class: cls as string,
      kind: r.kind as WorkloadKind,
      description: typeof r.description === "string" ? r.description : "",
      cores: nums.cores!,
      coresMin,
      coresMax,
      unit: r.unit as string,
      instructionsPerUnit: nums.instructionsPerUnit!,
      packetBytes: nums.packetBytes,
      coreCpi: nums.coreCpi!,
      uopsPerInstr: nums.uopsPerInstr!,
      frontendShareOfCoreSlots: nums.frontendShareOfCoreSlots!,
      badSpecShareOfCoreSlots: nums.badSpecShareOfCoreSlots!,
      l2MissesPerKiloInstr: nums.l2MissesPerKiloInstr!,
      llcWorkingSetBytes: nums.llcWorkingSetBytes!,
      llcReuseFraction: nums.llcReuseFraction!,
      hitCurveExponent: nums.hitCurveExponent!,
      memoryLevelParallelism: nums.memoryLevelParallelism!,
      writeToReadRatio: nums.writeToReadRatio!,
    };
    workloads.push(Object.freeze(w));
    byClass.set(w.class, w);
  });
  const cnfs = workloads.filter((w) => w.kind === "cnf");
  if (cnfs.length === 0) fail(`the catalog has no workload of kind "cnf"`);
  return { workloads, byClass, cnfs, neighbours: workloads.filter((w) => w.kind === "neighbour"), source };
}

/** Where data/workloads.json is, from this module's location (works from lib/ and from dist/lib/). */
export function defaultCatalogPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "data", "workloads.json");
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return resolve("data", "workloads.json");
}

/** Read and validate a catalog file (default: the repository's data/workloads.json). */
export function loadWorkloadCatalog(path: string = defaultCatalogPath()): WorkloadCatalog {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CatalogError(`${path}: cannot read workload catalog: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CatalogError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return parseWorkloadCatalog(doc, path);
}

export function requireWorkload(catalog: WorkloadCatalog, cls: string): Workload {
  const w = catalog.byClass.get(cls);
  if (!w) throw new CatalogError(`unknown workload class "${cls}" (catalog ${catalog.source} has: ${catalog.workloads.map((x) => x.class).join(", ")})`);
  return w;
}
