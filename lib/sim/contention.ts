// The contention model: shared LLC capacity and DRAM bandwidth, solved to a fixed point.
// Pure and allocation-light. Equations and their meaning: docs/simulator.md ("Model").
//
// Per workload i (c_i busy logical CPUs), time per instruction at the physics clock:
//   t_i = coreCpi_i / f + a_i * h_i * L_llc / MLP_i + a_i * (1 - h_i) * L_mem(u) / MLP_i
// with a_i = L2 misses per instruction, h_i its LLC hit ratio. Throughput r_i = c_i / t_i.
// LLC: occupancy shares s_i are proportional to insertion pressure r_i * a_i * (eps + (1-eps) reuse_i)
// (water-filled, capped at the working set W_i); h_i = reuse_i * min(1, s_i / W_i)^exp_i.
// DRAM: utilisation u = sum_i r_i a_i (1 - h_i) 64 (1 + wr_i) / peak; loaded latency
// L_mem(u) = L0 (1 + K u^2 / (1 - u)) grows without bound as u -> 1, so u < 1 always.
// Less throughput -> less traffic -> lower latency: u is the root of B(u)/peak - u (monotone),
// and shares are iterated to a fixed point around it.
import type { Workload } from "./catalog.js";
import type { NodeSpec } from "./node-spec.js";

export const CACHE_LINE_BYTES = 64;
/** Share of a non-reusing (streaming) workload's LLC insertions that displace other data (scan-resistant insertion). */
export const SCAN_INSERTION_WEIGHT = 0.15;
const MAX_OUTER = 60;
const OUTER_TOL = 1e-8;

/** The OS, kubelet and interrupts: one logical CPU's worth of light work, always present. */
export const BACKGROUND_WORKLOAD: Workload = Object.freeze({
  id: -1,
  class: "system-background",
  kind: "neighbour",
  description: "kernel, kubelet, interrupts",
  cores: 1,
  coresMin: 1,
  coresMax: 1,
  unit: "instruction",
  instructionsPerUnit: 1,
  coreCpi: 1.2,
  uopsPerInstr: 1.1,
  frontendShareOfCoreSlots: 0.3,
  badSpecShareOfCoreSlots: 0.08,
  l2MissesPerKiloInstr: 3,
  llcWorkingSetBytes: 8 * 1024 * 1024,
  llcReuseFraction: 0.8,
  hitCurveExponent: 0.7,
  memoryLevelParallelism: 2,
  writeToReadRatio: 0.4,
});

/** Loaded DRAM latency (ns) at bandwidth utilisation u in [0, 1). */
export function loadedLatencyNs(spec: NodeSpec, u: number): number {
  const x = u < 0 ? 0 : u > 0.999999 ? 0.999999 : u;
  return spec.idleMemLatencyNs * (1 + (spec.latencyCurveK * x * x) / (1 - x));
}

/** LLC hit ratio of `w` when it holds `shareBytes` of the LLC: reuse * min(1, share / working set)^exponent. */
export function llcHitRatioAtShare(w: Workload, shareBytes: number): number {
  const frac = Math.min(1, shareBytes / w.llcWorkingSetBytes);
  return w.llcReuseFraction * (w.hitCurveExponent === 1 ? frac : Math.pow(frac, w.hitCurveExponent));
}

export interface ContentionSolution {
  n: number;
  /** Per workload, same order as the input. */
  llcShareBytes: Float64Array;
  llcHitRatio: Float64Array;
  instructionsPerSec: Float64Array;
  coreNsPerInstr: Float64Array;
  llcStallNsPerInstr: Float64Array;
  dramStallNsPerInstr: Float64Array;
  memReadBytesPerSec: Float64Array;
  memWriteBytesPerSec: Float64Array;
  /** Node-level state. */
  memBandwidthUtilization: number;
  memLatencyNs: number;
  memReadBytesPerSecTotal: number;
  memWriteBytesPerSecTotal: number;
  /** Reusable working-set bytes that would fit in the whole LLC but not in their shares (lost to sharing), over LLC size. */
  llcDisplacedFraction: number;
  /** Reusable LLC demand over capacity: sum of reuse_i * W_i / LLC size (> 1: oversubscribed). */
  llcDemandRatio: number;
  llcOccupiedBytes: number;
  busyLogicalCpus: number;
  outerIterations: number;
}

function alloc(n: number): ContentionSolution {
  return {
    n,
    llcShareBytes: new Float64Array(n),
    llcHitRatio: new Float64Array(n),
    instructionsPerSec: new Float64Array(n),
    coreNsPerInstr: new Float64Array(n),
    llcStallNsPerInstr: new Float64Array(n),
    dramStallNsPerInstr: new Float64Array(n),
    memReadBytesPerSec: new Float64Array(n),
    memWriteBytesPerSec: new Float64Array(n),
    memBandwidthUtilization: 0,
    memLatencyNs: 0,
    memReadBytesPerSecTotal: 0,
    memWriteBytesPerSecTotal: 0,
    llcDisplacedFraction: 0,
    llcDemandRatio: 0,
    llcOccupiedBytes: 0,
    busyLogicalCpus: 0,
    outerIterations: 0,
  };
}

// Scratch buffers reused across calls (the solver is synchronous).
let cap = 0;
let pressure = new Float64Array(0);
let aNs = new Float64Array(0);
let bNs = new Float64Array(0);
let kBytes = new Float64Array(0);
let fixed = new Uint8Array(0);
let prevDelta = new Float64Array(0);
function ensureScratch(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, 2 * cap, 16);
  pressure = new Float64Array(cap);
  aNs = new Float64Array(cap);
  bNs = new Float64Array(cap);
  kBytes = new Float64Array(cap);
  fixed = new Uint8Array(cap);
  prevDelta = new Float64Array(cap);
}

/** Pressure-proportional LLC shares, each capped at its working set (water-filling). */
function waterFill(ws: readonly Workload[], n: number, capacity: number, out: Float64Array): void {
  let remaining = capacity;
  let active = 0;
  for (let i = 0; i < n; i++) {
    fixed[i] = pressure[i]! > 0 ? 0 : 1;
    out[i] = 0;
    if (!fixed[i]) active++;
  }
  while (active > 0) {
    let ptot = 0;
    for (let i = 0; i < n; i++) if (!fixed[i]) ptot += pressure[i]!;
    const lambda = remaining / ptot;
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (fixed[i]) continue;
      const w = ws[i]!.llcWorkingSetBytes;
      if (w <= lambda * pressure[i]!) {
        out[i] = w;
        remaining -= w;
        fixed[i] = 1;
        active--;
        changed = true;
      }
    }
    if (!changed) {
      for (let i = 0; i < n; i++) if (!fixed[i]) out[i] = lambda * pressure[i]!;
      return;
    }
  }
}

/** Solve the node's shared-resource state for workloads `ws` with `cores[i]` logical CPUs each. */
export function solveContention(spec: NodeSpec, ws: readonly Workload[], cores: ArrayLike<number>, out?: ContentionSolution): ContentionSolution {
  const n = ws.length;
  const s = out && out.n === n ? out : alloc(n);
  ensureScratch(n);
  const f = spec.physicsCoreHz;
  const L0 = spec.idleMemLatencyNs;
  const K = spec.latencyCurveK;
  const peak = spec.peakMemoryBandwidthBytesPerSec;
  const r = s.instructionsPerSec;
  let busy = 0;
  // Initial guess: every working set fits, idle memory latency.
  for (let i = 0; i < n; i++) {
    const w = ws[i]!;
    busy += cores[i]!;
    const acc = w.l2MissesPerKiloInstr / 1000;
    s.coreNsPerInstr[i] = (w.coreCpi / f) * 1e9;
    const t = s.coreNsPerInstr[i]! + (acc * (w.llcReuseFraction * spec.llcHitLatencyNs + (1 - w.llcReuseFraction) * L0)) / w.memoryLevelParallelism;
    r[i] = (cores[i]! * 1e9) / t;
  }
  for (let i = 0; i < n; i++) prevDelta[i] = 0;
  let u = 0;
  let iter = 0;
  let lastRel = 0;
  let prevRel = Infinity;
  for (; iter < MAX_OUTER; iter++) {
    for (let i = 0; i < n; i++) {
      const w = ws[i]!;
      pressure[i] = r[i]! * w.l2MissesPerKiloInstr * (SCAN_INSERTION_WEIGHT + (1 - SCAN_INSERTION_WEIGHT) * w.llcReuseFraction);
    }
    waterFill(ws, n, spec.llcBytes, s.llcShareBytes);
    for (let i = 0; i < n; i++) {
      const w = ws[i]!;
      const h = llcHitRatioAtShare(w, s.llcShareBytes[i]!);
      s.llcHitRatio[i] = h;
      const acc = w.l2MissesPerKiloInstr / 1000;
      aNs[i] = s.coreNsPerInstr[i]! + (acc * h * spec.llcHitLatencyNs) / w.memoryLevelParallelism;
      bNs[i] = (acc * (1 - h)) / w.memoryLevelParallelism;
      kBytes[i] = acc * (1 - h) * CACHE_LINE_BYTES * (1 + w.writeToReadRatio);
    }
    u = solveUtilization(n, cores, peak, L0, K);
    const lat = L0 * (1 + (K * u * u) / (1 - u));
    let maxRel = 0;
    // Damp when the iteration stops contracting (oscillation between share and throughput); when it
    // contracts geometrically (slow near DRAM saturation), jump ahead by Aitken extrapolation every third step.
    const damp = iter > 2 && !(lastRel < prevRel) ? 0.5 : 1;
    const extrapolate = damp === 1 && iter >= 2 && iter % 3 === 2;
    for (let i = 0; i < n; i++) {
      const rn = (cores[i]! * 1e9) / (aNs[i]! + bNs[i]! * lat);
      const delta = rn - r[i]!;
      const rel = Math.abs(delta) / rn;
      if (rel > maxRel) maxRel = rel;
      let next = damp === 1 ? rn : damp * rn + (1 - damp) * r[i]!;
      if (extrapolate && prevDelta[i] !== 0) {
        const ratio = delta / prevDelta[i]!;
        if (ratio > 0 && ratio < 0.97) {
          const jumped = rn + (delta * ratio) / (1 - ratio);
          next = jumped > 0.5 * rn && jumped < 2 * rn ? jumped : rn;
        }
      }
      prevDelta[i] = delta;
      r[i] = next;
    }
    prevRel = lastRel;
    lastRel = maxRel;
    if (maxRel < OUTER_TOL) break;
  }
  const lat = L0 * (1 + (K * u * u) / (1 - u));
  let rd = 0;
  let wr = 0;
  let displaced = 0;
  let occupied = 0;
  let demand = 0;
  for (let i = 0; i < n; i++) {
    const w = ws[i]!;
    const acc = w.l2MissesPerKiloInstr / 1000;
    const h = s.llcHitRatio[i]!;
    const ri = (cores[i]! * 1e9) / (aNs[i]! + bNs[i]! * lat);
    r[i] = ri;
    s.llcStallNsPerInstr[i] = aNs[i]! - s.coreNsPerInstr[i]!;
    s.dramStallNsPerInstr[i] = bNs[i]! * lat;
    const readBps = ri * acc * (1 - h) * CACHE_LINE_BYTES;
    s.memReadBytesPerSec[i] = readBps;
    s.memWriteBytesPerSec[i] = readBps * w.writeToReadRatio;
    rd += readBps;
    wr += readBps * w.writeToReadRatio;
    const share = s.llcShareBytes[i]!;
    occupied += share;
    // What sharing costs: the reusable bytes that would fit in the whole LLC but not in this share.
    const fitAlone = w.llcWorkingSetBytes < spec.llcBytes ? w.llcWorkingSetBytes : spec.llcBytes;
    demand += w.llcReuseFraction * w.llcWorkingSetBytes;
    if (fitAlone > share) displaced += w.llcReuseFraction * (fitAlone - share);
  }
  s.memReadBytesPerSecTotal = rd;
  s.memWriteBytesPerSecTotal = wr;
  s.memBandwidthUtilization = (rd + wr) / peak;
  s.memLatencyNs = lat;
  s.llcDisplacedFraction = displaced / spec.llcBytes;
  s.llcDemandRatio = demand / spec.llcBytes;
  s.llcOccupiedBytes = Math.min(occupied, spec.llcBytes);
  s.busyLogicalCpus = busy;
  s.outerIterations = iter + 1;
  return s;
}

/** Root of g(u) = B(u)/peak - u on [0, 1), B decreasing in u: Illinois regula falsi. */
function solveUtilization(n: number, cores: ArrayLike<number>, peak: number, L0: number, K: number): number {
  const g = (u: number): number => {
    const lat = L0 * (1 + (K * u * u) / (1 - u));
    let b = 0;
    for (let i = 0; i < n; i++) b += (cores[i]! * 1e9 * kBytes[i]!) / (aNs[i]! + bNs[i]! * lat);
    return b / peak - u;
  };
  let lo = 0;
  let glo = g(0);
  if (glo <= 0) return 0;
  let hi = 0.999999;
  let ghi = g(hi);
  let side = 0;
  for (let k = 0; k < 100; k++) {
    const m = (lo * ghi - hi * glo) / (ghi - glo);
    const gm = g(m);
    if (Math.abs(gm) < 1e-12 || hi - lo < 1e-12) return m;
    if (gm > 0) {
      lo = m;
      glo = gm;
      if (side === 1) ghi /= 2;
      side = 1;
    } else {
      hi = m;
      ghi = gm;
      if (side === -1) glo /= 2;
      side = -1;
    }
  }
  return 0.5 * (lo + hi);
}
