// Scores candidate nodes for one workload: gathers each usable node's model rows into one
// preallocated Float32Array, runs the interference model once for all of them, and applies the
// pure score math. A node may need several rows; its bound is the max over them:
//  - the measured state, and (if pods were placed there moments ago) the state charged with the
//    worst of those pods' demands (placement-charge.ts);
//  - its cached regime probabilities, or, when it was never classified, one row per regime
//    (a one-hot regime each) so the unknown regime costs the worst case.
// A node in the plain case (one row: measured state, known probabilities) is served from the
// prediction cache when its slot has not changed since the cached output (prediction-cache.ts);
// the misses of a call still go to the model in one run.
import { Regime } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, type SoloProfile, type WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import type { InterferenceOutput, ModelBundle } from "../bundle/load-bundle.js";
import { profileRow } from "../bundle/model-input.js";
import { chargeRow, worstDemand } from "./placement-charge.js";
import { FACT_HAS_PROBS, FACT_HAS_REGIME, FACT_MISSING_GROUPS, FACT_REGIME_STALE } from "./slot-facts.js";
import type { NodeRecord, NodeStateStore } from "./node-state-store.js";
import type { InputScratch } from "./input-scratch.js";
import type { PredictionCache, PredictionTable } from "./prediction-cache.js";
import type { PlanLease, PlanScratch } from "./plan-scratch.js";
import { resolveProfile, type ResolvedProfile } from "./profiles.js";
import type { RecentPlacements } from "./recent-placements.js";
import type { RowSlab } from "./row-slab.js";
import { modelDecision, scoreFromUpperBound, worstCaseDecision, type NodeScoreDecision } from "./score-math.js";

export interface ScoringParams {
  freshnessMs: number;
  worstSlowdown: number;
}

export interface NodeResult {
  nodeName: string;
  decision: NodeScoreDecision;
  rec: NodeRecord | undefined;
  ageMs: number;
  stale: boolean;
  regime: Regime;
  /** Cached regime belongs to an older state, or none was ever classified. */
  regimeStale: boolean;
  /** No regime was ever classified: the bound is the max over every regime. */
  regimeHypotheses: boolean;
  recentPlacements: number;
}

export interface ScoreRun {
  /** Per node, in request order (built on first read: a scores-only answer never needs them). */
  readonly results: NodeResult[];
  /** Score 0..10 per node, in request order (the same as results[i].decision.score). */
  scores: Uint8Array;
  /** ScoreBasis per node (the same as results[i].decision.basis). */
  basis: Uint8Array;
  profile: ResolvedProfile;
  modelVersion: string;
  /** Rows sent to the interference model. */
  modelRows: number;
  /** Nodes whose model output came from the prediction cache. */
  cacheHits: number;
  /** Cacheable nodes (plain single row) that went to the model. */
  cacheMisses: number;
  /**
   * Done with the run: its per-call plan memory goes back to the engine's pool, so `scores` and
   * `basis` (views of it) must not be read after. Results read before stay valid; reading
   * `results` for the first time after release throws.
   */
  release(): void;
}

export interface ScoringContext {
  store: NodeStateStore;
  recent: RecentPlacements;
  params: ScoringParams;
  /** Absent or disabled: every node goes to the model. */
  predictionCache?: PredictionCache;
  /** Reused model input buffers; absent: a new input per call. */
  inputScratch?: InputScratch;
  /** Reused per-call plan memory (a run gives it back on release()); absent: new memory per call. */
  planScratch?: PlanScratch;
}

/** Which nodes need the model and where their rows go (pass 1 of a scoring run). */
interface RowPlan {
  /** The candidates' records (lease.recs, request order) and the block the typed arrays are views of, lent for the call. */
  lease: PlanLease;
  /** First model row of each node, -1 when the node needs no model run. */
  rowStart: Int32Array;
  rowCount: Int32Array;
  recentLists: (SoloProfile[] | undefined)[];
  rows: number;
  // What later passes need of each record, read once here while the record is in cache
  // (at 5,000 nodes re-reading the scattered records in every pass cost more than the model).
  /** The record's slot in the store's slab (its row and regime probabilities). */
  slot: Int32Array;
  ageMs: Float64Array;
  /** The worst-case basis decided before the model (0: the model decides). */
  preBasis: Uint8Array;
  regime: Int32Array;
  /** FLAG_* bits. */
  flags: Uint8Array;
  /** The slot version a cacheable node's row was read at (FLAG_CACHEABLE). */
  version: Float64Array;
  /** Raw model outputs per node (max over its rows, or the cached pair); unused for pre-model worst cases. */
  predicted: Float64Array;
  upper: Float64Array;
  /** Filled by decide. */
  scores: Uint8Array;
  basis: Uint8Array;
  cacheHits: number;
  cacheMisses: number;
}

/** The plan's recentLists when no placement is remembered: every read gives undefined, nothing is written. */
const NO_RECENT_LISTS: readonly (SoloProfile[] | undefined)[] = Object.freeze([]);

/** 4 float64 + 4 int32 + 4 uint8 per node (float64s first: aligned). */
const BLOCK_BYTES_PER_NODE = 4 * 8 + 4 * 4 + 4;

const FLAG_REGIME_STALE = 1;
const FLAG_HYPOTHESES = 2;
/** Plain single row, sent to the model: its output may be cached. */
const FLAG_CACHEABLE = 4;
/** Output taken from the cache: no model row. */
const FLAG_CACHED = 8;

// The three passes are separate synchronous functions: in one big async function V8 kept
// deoptimizing the loops (a deopt loop on call sites after the await), which cost ~1 µs per node.
function planRows(ctx: ScoringContext, nodeNames: readonly string[], nowMs: number, R: number, table: PredictionTable | undefined): RowPlan {
  const { store, recent, params } = ctx;
  const n = nodeNames.length;
  const lease: PlanLease = ctx.planScratch ? ctx.planScratch.take(n, n * BLOCK_BYTES_PER_NODE) : { recs: new Array<NodeRecord | undefined>(n), block: new ArrayBuffer(n * BLOCK_BYTES_PER_NODE) };
  const recs = lease.recs;
  const anyRecent = !recent.isEmpty();
  // Per-node lists of recent placements only when any is remembered (read as undefined otherwise):
  // one array of n slots less per call for the garbage collector in the common case.
  const recentLists = (anyRecent ? new Array(n) : NO_RECENT_LISTS) as (SoloProfile[] | undefined)[];
  // Every per-node array of the call carved out of one buffer: one backing store (each typed array
  // of its own was an off-heap allocation that the garbage collector tracks, ~12 per call).
  const block = lease.block;
  let at = 0;
  const carve = <T>(C: new (b: ArrayBuffer, o: number, l: number) => T, bytes: number): T => {
    const a = new C(block, at, n);
    at += n * bytes;
    return a;
  };
  const ageMs = carve(Float64Array, 8);
  const version = carve(Float64Array, 8);
  const predicted = carve(Float64Array, 8);
  const upper = carve(Float64Array, 8);
  const rowStart = carve(Int32Array, 4).fill(-1);
  const rowCount = carve(Int32Array, 4);
  const slot = carve(Int32Array, 4);
  const regime = carve(Int32Array, 4);
  const preBasis = carve(Uint8Array, 1);
  const flags = carve(Uint8Array, 1);
  const scores = carve(Uint8Array, 1);
  const basis = carve(Uint8Array, 1);
  const slotVersions = store.slab.versions;
  let cacheHits = 0;
  let cacheMisses = 0;
  let rows = 0;
  // A repeated (frozen) candidate list: each name's slot is known without a lookup. What planning
  // reads of a node comes from the store's flat per-slot arrays, not from the record object.
  const known = store.slotsOf(nodeNames);
  const { observedAtMs, flags: facts, regime: factRegime } = store.facts;
  for (let i = 0; i < n; i++) {
    let s: number;
    let rec: NodeRecord | undefined;
    if (known) {
      s = known[i]!;
      rec = s >= 0 ? store.recordAt(s) : undefined;
    } else {
      rec = store.get(nodeNames[i]!);
      s = rec ? rec.slot : -1;
    }
    // `=== undefined`, not `!rec`: the truth test of an object reads its map, a cache miss per
    // candidate on records spread over the heap (most of this pass at 5,000 nodes).
    if (rec === undefined) {
      preBasis[i] = ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE;
      continue;
    }
    recs[i] = rec;
    const age = Math.max(0, nowMs - observedAtMs[s]!);
    ageMs[i] = age;
    const f = facts[s]!;
    const hasProbs = (f & FACT_HAS_PROBS) !== 0;
    if (f & FACT_HAS_REGIME) regime[i] = factRegime[s]!;
    flags[i] = ((f & FACT_REGIME_STALE) !== 0 || (f & FACT_HAS_REGIME) === 0 ? FLAG_REGIME_STALE : 0) | (hasProbs ? 0 : FLAG_HYPOTHESES);
    // Same rule and precedence as preModelBasis (score-math.ts), inlined for the hot path.
    if (age > params.freshnessMs) {
      preBasis[i] = ScoreBasis.SCORE_BASIS_STALE_WORST_CASE;
      continue;
    }
    if (f & FACT_MISSING_GROUPS) {
      preBasis[i] = ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE;
      continue;
    }
    slot[i] = s;
    let charged = false;
    if (anyRecent) {
      const active = recent.active(nodeNames[i]!, nowMs);
      if (active.length > 0) {
        recentLists[i] = active.map((p) => p.profile);
        charged = true;
      }
    }
    if (table && !charged && hasProbs) {
      const v = slotVersions[s]!;
      if (table.version[s] === v) {
        predicted[i] = table.predicted[s]!;
        upper[i] = table.upper[s]!;
        flags[i]! |= FLAG_CACHED;
        cacheHits++;
        continue;
      }
      version[i] = v;
      flags[i]! |= FLAG_CACHEABLE;
      cacheMisses++;
    }
    const variants = (charged ? 2 : 1) * (hasProbs ? 1 : R);
    rowStart[i] = rows;
    rowCount[i] = variants;
    rows += variants;
  }
  return { lease, rowStart, rowCount, recentLists, rows, slot, ageMs, preBasis, regime, flags, version, predicted, upper, scores, basis, cacheHits, cacheMisses };
}

/**
 * Writes every float of the plan's rows into `input` (a reused buffer: nothing may be left unwritten).
 * Values the row takes unchanged (the node's features, the profile, its probabilities) are copied
 * as 32-bit patterns through integer views of the same memory: a float element read and written
 * back is converted to a double and back, which made this copy, 5,000 rows of 52 floats, the
 * largest part of the service's own time in a cold call.
 */
function fillInput(plan: RowPlan, bundle: ModelBundle, prof: Float32Array, slab: RowSlab, input: Float32Array): Float32Array {
  const F2 = 2 * bundle.featureCount;
  const P = bundle.profileCount;
  const R = bundle.regimeCount;
  const D = bundle.interferenceWidth;
  const regimes = bundle.manifest.regimes;
  const { rowStart, recentLists, slot, flags } = plan;
  const anyRecent = recentLists !== NO_RECENT_LISTS;
  const recs = plan.lease.recs;
  const bits = new Int32Array(input.buffer, input.byteOffset, input.length);
  const profBits = new Int32Array(prof.buffer, prof.byteOffset, P);
  const n = slot.length;
  for (let i = 0; i < n; i++) {
    if (rowStart[i]! < 0) continue;
    // The node's row and probabilities, read from the slab (dense) rather than through the record.
    const chunk = slab.bitChunk(slot[i]!);
    const base = slab.offset(slot[i]!);
    const probsAt = base + F2;
    const hasProbs = (flags[i]! & FLAG_HYPOTHESES) === 0;
    let off = rowStart[i]! * D;
    const featureRows = anyRecent && recentLists[i] !== undefined ? 2 : 1;
    for (let f = 0; f < featureRows; f++) {
      const regimeRows = hasProbs ? 1 : R;
      for (let r = 0; r < regimeRows; r++) {
        const rowEnd = off + D;
        if (f === 0) {
          // Two values a step (F2 is even: a value and its presence flag per feature), on running
          // indexes rather than base + j: faster in a side-by-side microbenchmark.
          for (let src = base; src < probsAt; src += 2) {
            bits[off] = chunk[src]!;
            bits[off + 1] = chunk[src + 1]!;
            off += 2;
          }
        } else {
          const rec = recs[i]!;
          chargeRow(rec.row, worstDemand(recentLists[i]!), rec.capacity, input, off);
          off += F2;
        }
        for (let k = 0; k < P; k++) bits[off++] = profBits[k]!;
        if (hasProbs) for (let k = 0; k < R; k++) bits[off++] = chunk[probsAt + regimes[k]!]!;
        else {
          input.fill(0, off, off + R);
          input[off + r] = 1;
        }
        off = rowEnd;
      }
    }
  }
  return input;
}

/** Takes each model node's outputs (max over its rows), caches the plain ones, and decides every node's score and basis. */
function decide(plan: RowPlan, out: InterferenceOutput, params: ScoringParams, table: PredictionTable | undefined): void {
  const { rowStart, rowCount, preBasis, flags, slot, predicted, upper, scores, basis } = plan;
  const n = rowStart.length;
  const W = params.worstSlowdown;
  for (let i = 0; i < n; i++) {
    const cached = (flags[i]! & FLAG_CACHED) !== 0;
    if (!cached && rowStart[i]! < 0) {
      basis[i] = preBasis[i]!; // score 0
      continue;
    }
    if (!cached) {
      let p = -Infinity;
      let u = -Infinity;
      for (let r = rowStart[i]!, end = r + rowCount[i]!; r < end; r++) {
        // NaN anywhere poisons the node (Math.max propagates NaN).
        p = Math.max(p, out.slowdown[r]!);
        u = Math.max(u, out.upper[r]!);
      }
      predicted[i] = p;
      upper[i] = u;
      if (table && (flags[i]! & FLAG_CACHEABLE) !== 0) table.store(slot[i]!, plan.version[i]!, p, u);
    }
    // modelDecision's arithmetic without its object (the lazy results call modelDecision itself).
    const p = predicted[i]!;
    const u = upper[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(u)) basis[i] = ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE;
    else {
      basis[i] = ScoreBasis.SCORE_BASIS_MODEL;
      scores[i] = scoreFromUpperBound(Math.max(Math.max(1, p), u), W);
    }
  }
}

/** One NodeResult per node, from the plan (for callers that need more than the scores). */
function buildResults(plan: RowPlan, nodeNames: readonly string[], params: ScoringParams): NodeResult[] {
  const { rowStart, recentLists, ageMs, preBasis, regime, flags, predicted, upper } = plan;
  const recs = plan.lease.recs;
  const n = nodeNames.length;
  const results: NodeResult[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const rec = recs[i];
    const known = rec !== undefined;
    const fromModel = (flags[i]! & FLAG_CACHED) !== 0 || rowStart[i]! >= 0;
    results[i] = {
      nodeName: nodeNames[i]!,
      decision: fromModel ? modelDecision(predicted[i]!, upper[i]!, params.worstSlowdown) : worstCaseDecision(preBasis[i]!),
      rec,
      ageMs: ageMs[i]!,
      stale: known && ageMs[i]! > params.freshnessMs,
      regime: regime[i]!,
      regimeStale: known && (flags[i]! & FLAG_REGIME_STALE) !== 0,
      regimeHypotheses: known && (flags[i]! & FLAG_HYPOTHESES) !== 0,
      recentPlacements: recentLists[i]?.length ?? 0,
    };
  }
  return results;
}

/** A ScoreRun whose per-node results are built on first read (a class: an object literal with a getter is slow to create). */
class EngineRun implements ScoreRun {
  private built: NodeResult[] | undefined;
  readonly scores: Uint8Array;
  readonly basis: Uint8Array;
  readonly modelRows: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;

  constructor(
    private readonly plan: RowPlan,
    private readonly nodeNames: readonly string[],
    private readonly params: ScoringParams,
    readonly profile: ResolvedProfile,
    readonly modelVersion: string,
    private readonly planScratch: PlanScratch | undefined,
  ) {
    this.scores = plan.scores;
    this.basis = plan.basis;
    this.modelRows = plan.rows;
    this.cacheHits = plan.cacheHits;
    this.cacheMisses = plan.cacheMisses;
  }

  get results(): NodeResult[] {
    if (!this.built && this.released) throw new Error("ScoreRun.results read after release()");
    return (this.built ??= buildResults(this.plan, this.nodeNames, this.params));
  }

  private released = false;

  release(): void {
    if (this.released) return;
    this.released = true;
    this.planScratch?.give(this.plan.lease, this.nodeNames.length);
  }
}

/** A bundle profile's row, built once per profile object (the manifest's objects; a pod's own profile is new per request). */
const bundleProfileRows = new WeakMap<SoloProfile, Float32Array>();
function profileRowOf(p: ResolvedProfile, m: ModelBundle["manifest"]): Float32Array {
  if (p.source === "pod") return profileRow(p.profile, m.profileFeatureNames);
  let row = bundleProfileRows.get(p.profile);
  if (!row) bundleProfileRows.set(p.profile, (row = profileRow(p.profile, m.profileFeatureNames)));
  return row;
}

const NO_OUTPUT: InterferenceOutput = { slowdown: new Float32Array(0), upper: new Float32Array(0) };

export async function scoreCandidates(ctx: ScoringContext, bundle: ModelBundle, workload: WorkloadSpec, nodeNames: readonly string[], nowMs: number): Promise<ScoreRun> {
  const m = bundle.manifest;
  const profile = resolveProfile(workload, m);
  const prof = profileRowOf(profile, m);
  const table = ctx.predictionCache?.table(bundle, prof, ctx.store.slab.slotCount);
  const plan = planRows(ctx, nodeNames, nowMs, bundle.regimeCount, table);
  let out = NO_OUTPUT;
  if (plan.rows > 0) {
    const scratch = ctx.inputScratch;
    const input = fillInput(plan, bundle, prof, ctx.store.slab, scratch ? scratch.take(plan.rows * bundle.interferenceWidth) : new Float32Array(plan.rows * bundle.interferenceWidth));
    // Lent to the model (no copy to the inference worker), handed back with the answer (which it
    // may carry: decide reads the outputs before the buffer goes back for the next call).
    out = await bundle.predict(input, plan.rows, true);
  }
  // Outputs are stored with the slot versions read in planRows: a state written during the await
  // has moved the version on, so its slot's entry is never served for the new state.
  decide(plan, out, ctx.params, table);
  ctx.inputScratch?.give(out.input);
  return new EngineRun(plan, nodeNames, ctx.params, profile, m.version, ctx.planScratch);
}
