// The newest NodeState of every node, with its model row and cached regime. Older or duplicate
// sequence numbers are ignored unless the agent restarted (agent_started_at moved forward);
// invalid states are rejected. Accepted states queue their node for regime classification.
//
// A record keeps its state as protobuf bytes, not as the decoded object: every node's state lives
// about one agent interval (1 s), long enough for the young generation to promote it, and the
// decoded object graph (features, timestamps, residents) then filled old space at the churn rate
// (docs/services.md, "What the store keeps"; bench/store-memory.ts). What scoring reads is in the
// record's flat fields and the slab row; nodeStateOf() decodes the bytes for Query/Explain.
import type { SpanContext } from "@opentelemetry/api";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { Regime, type RegimeAssessment } from "../../gen/overseer/v1/regime.js";
import { writeFeatureRow } from "../bundle/model-input.js";
import { FEATURE_COUNT } from "../features/catalog.js";
import { FeatureVectorError, validateFeatureVector } from "../features/feature-vector.js";
import type { NodeCapacityFacts } from "./placement-charge.js";
import { RowSlab } from "./row-slab.js";
import { missingCriticalGroups } from "./score-math.js";
import { RegimeOrders, SharedAssessmentParts, type CachedRegime } from "./compact-regime.js";
import { SlotFacts } from "./slot-facts.js";

/** Probabilities indexed by Regime enum value. */
export const REGIME_SLOTS = 8;
/** Width of a node's slab row: the 2F model input, then REGIME_SLOTS regime probabilities. */
export const NODE_ROW_WIDTH = 2 * FEATURE_COUNT + REGIME_SLOTS;

export interface NodeRecord {
  name: string;
  /** The accepted NodeState, protobuf-encoded (nodeStateOf decodes it). */
  stateBytes: Uint8Array;
  /** The state's PMU facts that placement charging reads (absent facts are 0). */
  capacity: NodeCapacityFacts;
  observedAtMs: number;
  receivedAtMs: number;
  agentStartedAtMs: number;
  sequence: number;
  /** The node's slot in the store's slab (kept while the node is in the store). */
  slot: number;
  /** 2F model input: values (absent -> 0) then presence flags. A view of the slot's row (written in place per state). */
  row: Float32Array;
  missingGroups: string[];
  /**
   * Cached regime (possibly from an older state of this node), without its probability list:
   * regimeAssessmentOf() gives the whole assessment (for output).
   */
  regime: CachedRegime | undefined;
  /** The regimes the cached assessment listed probabilities for, in its order (shared between records); their values are in probsSlot. */
  regimeOrder: readonly Regime[] | undefined;
  /** The cached assessment's list as it came, when the slot cannot hold it exactly (a regime outside it, or listed twice). */
  regimeListed: RegimeAssessment["probabilities"] | undefined;
  regimeProbs: Float32Array | undefined;
  /** The slot's REGIME_SLOTS probabilities (a view); regimeProbs is it, or undefined when never classified. */
  probsSlot: Float32Array;
  /** The cached regime was classified for an older state than the current one. */
  regimeStale: boolean;
  /** The state (agent run, sequence) the cached regime was classified for. */
  regimeOf: { startMs: number; sequence: number } | undefined;
  /** Span of the Classify batch (or decision) that produced the cached regime, for span links. */
  regimeSpan: SpanContext | undefined;
  /** "uid" and "namespace/name" of resident pods. */
  residentKeys: Set<string>;
}

export type UpsertOutcome = "accepted" | "ignored" | "rejected";
export interface UpsertResult {
  outcome: UpsertOutcome;
  reason?: string;
}

export interface PendingEntry {
  rec: NodeRecord;
  /** The state taken for classification (the record may be replaced by a newer one meanwhile). */
  sequence: number;
  startMs: number;
}

export interface StoreOptions {
  maxNodes: number;
  now?: () => number;
}

const NO_RESIDENTS: Set<string> = new Set();
const NO_MISSING_GROUPS: string[] = Object.freeze([]) as unknown as string[];

/** The record's NodeState, decoded from its bytes (a new object per call). */
export function nodeStateOf(rec: NodeRecord): NodeState {
  return NodeState.decode(rec.stateBytes);
}

export function residentKey(ns: string, name: string): string {
  return `${ns}/${name}`;
}

export class NodeStateStore {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly pending = new Set<string>();
  /** What planning reads of each slot's record, in flat arrays (slot-facts.ts). */
  readonly facts = new SlotFacts();
  /** Each slot's current record (undefined when free). */
  private readonly bySlot: (NodeRecord | undefined)[] = [];
  /** Moves whenever a node gets or gives up a slot (added, deleted): name -> slot lists are valid while it stays. */
  private layout = 0;
  /** The pending nodes that have no cached regime at all (never classified). */
  private readonly pendingUnclassified = new Set<string>();
  private readonly listeners: ((rec: NodeRecord) => void)[] = [];
  /** Every node's row and regime probabilities, by slot (the scoring engine reads them from here). */
  readonly slab = new RowSlab(NODE_ROW_WIDTH);
  readonly now: () => number;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.nodes.size;
  }
  get pendingCount(): number {
    return this.pending.size;
  }
  /** Pending nodes that were never classified (no cached regime): decisions classify these even when spaced. */
  get pendingUnclassifiedCount(): number {
    return this.pendingUnclassified.size;
  }

  get(name: string): NodeRecord | undefined {
    return this.nodes.get(name);
  }

  /** The record in `slot` (a slot from a record of this store while layoutVersion has not moved). */
  recordAt(slot: number): NodeRecord | undefined {
    return this.bySlot[slot];
  }

  /**
   * The slot of each name (-1: not in the store) for a frozen candidate list, kept for the last such
   * list while no node is added or deleted: kube-scheduler asks about the same nodes pod after pod,
   * and the decoders hand out a repeated list as one frozen array (score-nodes-codec.ts). Then
   * recordAt(slot) replaces a name lookup per candidate. Undefined for a list that is not frozen.
   */
  slotsOf(names: readonly string[]): Int32Array | undefined {
    if (!Object.isFrozen(names)) return undefined;
    const m = this.slotMemo;
    if (m && m.names === names && m.layout === this.layout) return m.slots;
    const slots = new Int32Array(names.length);
    for (let i = 0; i < names.length; i++) slots[i] = this.nodes.get(names[i]!)?.slot ?? -1;
    this.slotMemo = { names, layout: this.layout, slots };
    return slots;
  }
  private slotMemo: { names: readonly string[]; layout: number; slots: Int32Array } | undefined;

  /** Changes when any node is added or deleted (a slot changes hands); not on newer states of known nodes. */
  get layoutVersion(): number {
    return this.layout;
  }

  values(): IterableIterator<NodeRecord> {
    return this.nodes.values();
  }

  onAccepted(fn: (rec: NodeRecord) => void): void {
    this.listeners.push(fn);
  }

  /**
   * `wireBytes`: the state's protobuf bytes as received (kept, copied, instead of encoding the state
   * again); they must decode to `state`.
   */
  upsert(state: NodeState | undefined, receivedAtMs = this.now(), wireBytes?: Uint8Array): UpsertResult {
    if (!state) return { outcome: "rejected", reason: "state is required" };
    if (!state.nodeName) return { outcome: "rejected", reason: "state.node_name is empty" };
    if (!state.observedAt || Number.isNaN(state.observedAt.getTime())) return { outcome: "rejected", reason: "state.observed_at is required" };
    try {
      validateFeatureVector(state.features, "state.features");
    } catch (e) {
      if (e instanceof FeatureVectorError) return { outcome: "rejected", reason: e.message };
      throw e;
    }
    const startMs = state.agentStartedAt?.getTime() ?? 0;
    const prev = this.nodes.get(state.nodeName);
    if (prev) {
      if (startMs < prev.agentStartedAtMs) return { outcome: "ignored", reason: "from an agent run older than the current one" };
      if (startMs === prev.agentStartedAtMs && state.sequence <= prev.sequence) {
        return { outcome: "ignored", reason: `sequence ${state.sequence} is not newer than ${prev.sequence}` };
      }
    } else if (this.nodes.size >= this.opts.maxNodes) {
      return { outcome: "rejected", reason: `the store holds ${this.opts.maxNodes} nodes, its limit` };
    }
    // Overwritten in place for a newer state: readers of the row (the scoring engine) copy it
    // synchronously, so a write cannot interleave with a read.
    const slot = prev ? prev.slot : this.slab.alloc();
    const row = prev ? prev.row : this.slab.view(slot, 0, 2 * FEATURE_COUNT);
    writeFeatureRow(state.features!, row, 0);
    this.slab.touch(slot);
    const residentKeys = state.residents.length === 0 ? NO_RESIDENTS : new Set<string>();
    for (const r of state.residents) {
      if (r.podUid) residentKeys.add(r.podUid);
      residentKeys.add(residentKey(r.podNamespace, r.podName));
    }
    const missing = missingCriticalGroups(state.features!.states);
    const pmu = state.pmu;
    const rec: NodeRecord = {
      name: state.nodeName,
      stateBytes: Buffer.from(wireBytes ?? NodeState.encode(state).finish()),
      capacity: {
        peakMemoryBandwidthBytesPerSec: pmu?.peakMemoryBandwidthBytesPerSec ?? 0,
        logicalCpus: pmu?.logicalCpus ?? 0,
        llcBytes: pmu?.llcBytes ?? 0,
      },
      observedAtMs: state.observedAt.getTime(),
      receivedAtMs,
      agentStartedAtMs: startMs,
      sequence: state.sequence,
      slot,
      row,
      missingGroups: missing.length === 0 ? NO_MISSING_GROUPS : missing,
      regime: prev?.regime,
      regimeProbs: prev?.regimeProbs,
      regimeOrder: prev?.regimeOrder,
      regimeListed: prev?.regimeListed,
      probsSlot: prev ? prev.probsSlot : this.slab.view(slot, 2 * FEATURE_COUNT, REGIME_SLOTS),
      regimeStale: prev?.regime !== undefined,
      regimeOf: prev?.regimeOf,
      regimeSpan: prev?.regimeSpan,
      residentKeys,
    };
    this.nodes.set(rec.name, rec);
    this.bySlot[slot] = rec;
    this.facts.set(slot, rec);
    if (!prev) this.layout++;
    this.pending.add(rec.name);
    if (!rec.regime) this.pendingUnclassified.add(rec.name);
    for (const l of this.listeners) l(rec);
    return { outcome: "accepted" };
  }

  delete(name: string): boolean {
    this.pending.delete(name);
    this.pendingUnclassified.delete(name);
    const rec = this.nodes.get(name);
    if (!rec) return false;
    this.nodes.delete(name);
    this.bySlot[rec.slot] = undefined;
    this.facts.clear(rec.slot);
    this.layout++;
    this.slab.release(rec.slot);
    return true;
  }

  isPending(name: string): boolean {
    return this.pending.has(name);
  }

  /** Takes one node out of the classification queue (decision-time classification); undefined when it was not waiting. */
  claimPending(name: string): PendingEntry | undefined {
    if (!this.pending.delete(name)) return undefined;
    this.pendingUnclassified.delete(name);
    const rec = this.nodes.get(name);
    return rec ? { rec, sequence: rec.sequence, startMs: rec.agentStartedAtMs } : undefined;
  }

  /** Up to `max` nodes waiting for classification, with the sequence each was taken at. */
  takePending(max: number): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (const name of this.pending) {
      if (out.length >= max) break;
      this.pending.delete(name);
      this.pendingUnclassified.delete(name);
      const rec = this.nodes.get(name);
      if (rec) out.push({ rec, sequence: rec.sequence, startMs: rec.agentStartedAtMs });
    }
    return out;
  }

  /** Puts nodes back in the queue (classification failed). */
  requeue(names: Iterable<string>): void {
    for (const n of names) {
      const rec = this.nodes.get(n);
      if (!rec) continue;
      this.pending.add(n);
      if (!rec.regime) this.pendingUnclassified.add(n);
    }
  }

  /**
   * Caches a regime classified for (sequence, startMs); fresh only if that is still the node's current state.
   * A result for an older state than the cached regime's is dropped (a background batch and a decision may
   * classify the same node concurrently, and the slower answer may be the older one). Returns whether it was kept.
   */
  setRegime(name: string, sequence: number, startMs: number, a: RegimeAssessment, classifiedBy?: SpanContext): boolean {
    const rec = this.nodes.get(name);
    if (!rec) return false;
    const of = rec.regimeOf;
    if (of && (startMs < of.startMs || (startMs === of.startMs && sequence < of.sequence))) return false;
    const probs = rec.probsSlot.fill(0);
    for (const p of a.probabilities) if (p.regime > 0 && p.regime < REGIME_SLOTS) probs[p.regime] = p.probability;
    this.slab.touch(rec.slot);
    // Kept compact: the probabilities stay in the slot only (rebuilt for output), the model version
    // and the classification time are shared with the batch's other nodes. A list the slot cannot
    // hold exactly (a regime outside it, or listed twice) is kept as it came (regimeListed).
    const order = this.orders.of(a.probabilities);
    rec.regimeOrder = order;
    rec.regimeListed = order ? undefined : a.probabilities;
    rec.regime = { regime: a.regime, confidence: a.confidence, modelVersion: this.shared.version(a.modelVersion), classifiedAt: this.shared.time(a.classifiedAt) };
    this.pendingUnclassified.delete(name);
    rec.regimeProbs = a.regime === Regime.REGIME_UNSPECIFIED ? undefined : probs;
    rec.regimeStale = !(rec.sequence === sequence && rec.agentStartedAtMs === startMs);
    rec.regimeOf = { startMs, sequence };
    rec.regimeSpan = classifiedBy;
    this.facts.set(rec.slot, rec);
    return true;
  }

  private readonly orders = new RegimeOrders(REGIME_SLOTS);
  private readonly shared = new SharedAssessmentParts();

  ageMs(rec: NodeRecord, now = this.now()): number {
    return Math.max(0, now - rec.observedAtMs);
  }
}
