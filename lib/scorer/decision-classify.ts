// Decision-time regime classification. Before a Score/Filter/Explain call is scored, the candidates
// whose newest NodeState still waits for classification (the store's pending set) are taken out of
// the queue and classified by ONE Classify call to regime-svc, made under the call's active context:
// the gRPC client span and regime-svc's server span are then part of the decision's trace, and the
// decision scores with the regime of the state it scores.
//
// Only candidates the model will run for are taken: a state beyond the freshness bound or with a
// critical group absent is scored worst case whatever its regime, so it stays queued for the
// background batcher. At most `maxNodes` are taken per call (0 disables this), in request order.
// The call has its own short deadline; on timeout or error the nodes go back to the queue, scoring
// proceeds with the cached regime marked stale (or the worst over every regime when never
// classified), and inline classification pauses for a cool-down (1 s, doubling to 16 s) so a slow
// regime-svc does not add its deadline to every decision. The request never fails because of it.
//
// At high decision rates one Classify round trip per decision would cost more than the scoring
// (kube-scheduler at hundreds of pods/s finds a few just-published candidates in nearly every
// call), and waiting for it would put the round trip into the decision's latency. So a decision
// that comes less than `minIntervalMs` after the previous one makes no call unless a candidate was
// never classified (it would otherwise cost a model row per regime and the worst case; the other
// pending candidates then ride along). It scores with the cached regimes (marked stale), and at
// most once per interval it asks the background batcher to classify the queue now (`requestFlush`,
// not awaited), so regimes trail the states by about one interval. Decisions further apart than
// the interval (a few per second) all still classify their own candidates, in their own trace.
import { isSpanContextValid, SpanStatusCode, trace, type Link, type SpanContext } from "@opentelemetry/api";
import type { LogFn } from "../bundle/bundle-holder.js";
import type { NodeRecord, NodeStateStore, PendingEntry } from "./node-state-store.js";
import type { ClassifyFn } from "./regime-batcher.js";

/**
 * none: no candidate waited; disabled: --decision-classify-max 0; cooldown: paused after a failure;
 * throttled: less than --decision-classify-interval after the previous decision, and no waiting
 * candidate lacked a regime: pending candidates (if any) are scored with their cached regime.
 */
export type InlineOutcome = "none" | "ok" | "timeout" | "error" | "cooldown" | "disabled" | "throttled";

export interface InlineClassifyResult {
  outcome: InlineOutcome;
  /** Candidates classified by this call's Classify. */
  classified: number;
  /**
   * Known candidates scored with a regime cached earlier (by the batcher or another decision).
   * When nothing was pending and the span is not recording, counted on first read (off the scoring path).
   */
  cached: number;
  /** Pending candidates left in the queue (over the cap, stale or incomplete states, failure, cool-down). */
  pendingLeft: number;
}

export interface DecisionClassifierOptions {
  store: NodeStateStore;
  classify: ClassifyFn;
  timeoutMs: number;
  /** Most candidates classified inline per call; 0 disables decision-time classification. */
  maxNodes: number;
  /**
   * A decision less than this after the previous one classifies inline only never-classified
   * candidates (0 or absent: every decision classifies its pending candidates).
   */
  minIntervalMs?: number;
  /** Asks the background batcher to classify the queue now (not awaited); at most once per interval. */
  requestFlush?: () => void;
  freshnessMs: () => number;
  now: () => number;
  /** Vectors sent (for the batch-size histogram). */
  onCall?: (size: number) => void;
  /** Every attempt that reached regime-svc (or timed out), as the batcher reports its own. */
  onResult?: (ok: boolean, error?: string) => void;
  onOutcome?: (outcome: InlineOutcome, classified: number) => void;
  /** Nodes whose regime was just cached (cluster mode writes it into the NodeState's status). */
  onClassified?: (names: string[]) => void;
  /** Nodes went back to the queue: the background batcher should schedule a flush. */
  onRequeued?: () => void;
  log?: LogFn;
}

export interface DecisionClassifier {
  classifyCandidates(nodeNames: readonly string[]): Promise<InlineClassifyResult>;
}

const COOLDOWN_MIN_MS = 1000;
const COOLDOWN_MAX_MS = 16_000;
/** Links from the decision span to the spans that classified its cached regimes. */
const MAX_LINKS = 8;

const tracer = trace.getTracer("overseer-scorer");
/** grpc.status.DEADLINE_EXCEEDED, kept on the regime client's errors. */
const GRPC_DEADLINE_EXCEEDED = 4;

export class InlineTimeoutError extends Error {}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InlineTimeoutError(`regime-svc Classify: no answer within the decision deadline of ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function createDecisionClassifier(o: DecisionClassifierOptions): DecisionClassifier {
  let cooldownMs = 0;
  let pausedUntilMs = 0;
  const minIntervalMs = o.minIntervalMs ?? 0;
  let lastDecisionMs = -Infinity;
  let lastFlushRequestMs = -Infinity;
  /** Inside the interval: the queue is classified in the background, at most once per interval. */
  const requestFlushIfDue = (nowMs: number) => {
    if (nowMs - lastFlushRequestMs < minIntervalMs) return;
    lastFlushRequestMs = nowMs;
    o.requestFlush?.();
  };

  /** Model-bound candidates only: a stale or incomplete state is scored worst case without a regime. */
  const needsModel = (rec: NodeRecord, nowMs: number) => nowMs - rec.observedAtMs <= o.freshnessMs() && rec.missingGroups.length === 0;

  async function classifyInline(taken: PendingEntry[]): Promise<"ok" | "timeout" | "error"> {
    return tracer.startActiveSpan("overseer.scorer.classify_inline", { attributes: { "overseer.batch_size": taken.length, "overseer.timeout_ms": o.timeoutMs } }, async (span) => {
      o.onCall?.(taken.length);
      try {
        const resp = await withTimeout(o.classify(taken.map((t) => t.rec.row), { timeoutMs: o.timeoutMs }), o.timeoutMs);
        if (resp.assessments.length !== taken.length) throw new Error(`regime-svc answered ${resp.assessments.length} assessments for ${taken.length} vectors`);
        const ctx = span.spanContext();
        const kept = taken.filter((t, i) => o.store.setRegime(t.rec.name, t.sequence, t.startMs, resp.assessments[i]!, ctx)).map((t) => t.rec.name);
        if (kept.length > 0) o.onClassified?.(kept);
        if (cooldownMs > 0) o.log?.("info", "decision-time classification works again", {});
        cooldownMs = 0;
        o.onResult?.(true);
        return "ok";
      } catch (e) {
        const message = (e as Error).message;
        o.store.requeue(taken.map((t) => t.rec.name));
        o.onRequeued?.();
        const outcome = e instanceof InlineTimeoutError || (e as { code?: unknown }).code === GRPC_DEADLINE_EXCEEDED ? "timeout" : "error";
        if (cooldownMs === 0) o.log?.("warn", "decision-time classification failed; scoring with cached regimes (marked stale), retrying after a cool-down", { error: message, cooldownMs: COOLDOWN_MIN_MS });
        cooldownMs = Math.min(Math.max(2 * cooldownMs, COOLDOWN_MIN_MS), COOLDOWN_MAX_MS);
        pausedUntilMs = o.now() + cooldownMs;
        o.onResult?.(false, message);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        span.setAttribute("overseer.outcome", outcome);
        return outcome;
      } finally {
        span.end();
      }
    });
  }

  /** Counts `rec` as cached (1) when it has a regime, and keeps a link to the span that classified it. */
  function noteCached(rec: NodeRecord, links: Map<string, SpanContext> | undefined): number {
    if (!rec.regime) return 0;
    // Tracing off: the classifying span was a no-op with an invalid context, nothing to link to.
    if (links && rec.regimeSpan && links.size < MAX_LINKS && isSpanContextValid(rec.regimeSpan)) links.set(rec.regimeSpan.spanId, rec.regimeSpan);
    return 1;
  }

  /** Known candidates with a cached regime, and links to the spans that classified them. */
  function countCached(nodeNames: readonly string[], links: Map<string, SpanContext> | undefined): number {
    let cached = 0;
    for (let i = 0; i < nodeNames.length; i++) {
      const rec = o.store.get(nodeNames[i]!);
      if (rec) cached += noteCached(rec, links);
    }
    return cached;
  }

  /** Candidates still queued for classification. */
  function countPending(nodeNames: readonly string[]): number {
    let n = 0;
    for (let i = 0; i < nodeNames.length; i++) if (o.store.isPending(nodeNames[i]!)) n++;
    return n;
  }

  /**
   * The common cases, without per-candidate queue work: nothing is pending (the batcher or earlier
   * decisions classified every state), or the call is inside the interval and no pending node lacks
   * a regime (so nothing would be taken). The counts (a store lookup per candidate) are only needed
   * by a recording span; otherwise they are counted when read (tests, callers that want them), not
   * on the scoring path.
   */
  function nothingToTake(nodeNames: readonly string[], outcome: InlineOutcome, pendingPossible: boolean): InlineClassifyResult {
    o.onOutcome?.(outcome, 0);
    if (trace.getActiveSpan()?.isRecording() === true) {
      const links = new Map<string, SpanContext>();
      const result: InlineClassifyResult = { outcome, classified: 0, cached: countCached(nodeNames, links), pendingLeft: pendingPossible ? countPending(nodeNames) : 0 };
      annotateDecisionSpan(result, [...links.values()]);
      return result;
    }
    let cached: number | undefined;
    let pendingLeft: number | undefined;
    return {
      outcome,
      classified: 0,
      get cached() {
        return (cached ??= countCached(nodeNames, undefined));
      },
      get pendingLeft() {
        return (pendingLeft ??= pendingPossible ? countPending(nodeNames) : 0);
      },
    };
  }

  return {
    async classifyCandidates(nodeNames) {
      const nowMs = o.now();
      const frequent = nowMs - lastDecisionMs < minIntervalMs;
      lastDecisionMs = nowMs;
      const disabled = o.maxNodes === 0;
      const coolingDown = !disabled && nowMs < pausedUntilMs;
      if (o.store.pendingCount === 0) return nothingToTake(nodeNames, disabled ? "disabled" : coolingDown ? "cooldown" : "none", false);
      const throttled = frequent && !disabled && !coolingDown;
      // Inside the interval only never-classified nodes are taken: with none in the whole queue, no
      // candidate needs looking at (under steady churn this is most decisions at high pod rates).
      if (throttled && o.store.pendingUnclassifiedCount === 0) {
        requestFlushIfDue(nowMs);
        return nothingToTake(nodeNames, "throttled", true);
      }
      /** Pending candidates with a cached regime, not taken because of the interval. */
      const heldBack: string[] = [];
      const taken: PendingEntry[] = [];
      const takenNames = new Set<string>();
      const links = new Map<string, SpanContext>();
      let cached = 0;
      let pendingLeft = 0;
      for (const name of nodeNames) {
        if (takenNames.has(name)) continue;
        const rec = o.store.get(name);
        if (!rec) continue;
        const pending = o.store.isPending(name);
        if (pending && !disabled && !coolingDown && taken.length < o.maxNodes && needsModel(rec, nowMs)) {
          if (!throttled || !rec.regime) {
            taken.push(o.store.claimPending(name)!);
            takenNames.add(name);
            continue;
          }
          heldBack.push(name);
          continue;
        }
        if (pending) pendingLeft++;
        cached += noteCached(rec, links);
      }
      // A call is made anyway (for never-classified candidates): the held-back ones ride along.
      if (taken.length > 0) {
        for (const name of heldBack) {
          if (taken.length >= o.maxNodes) break;
          taken.push(o.store.claimPending(name)!);
          takenNames.add(name);
        }
      }
      for (const name of heldBack) {
        if (takenNames.has(name)) continue;
        pendingLeft++;
        cached += noteCached(o.store.get(name)!, links);
      }
      // After this decision took its own (never-classified) candidates, so the batcher cannot take them first.
      if (throttled) requestFlushIfDue(nowMs);
      const outcome: InlineOutcome =
        taken.length > 0 ? await classifyInline(taken) : disabled ? "disabled" : coolingDown ? "cooldown" : heldBack.length > 0 ? "throttled" : "none";
      if (outcome !== "ok") {
        pendingLeft += taken.length;
        cached += taken.filter((t) => o.store.get(t.rec.name)?.regime).length;
      }
      const classified = outcome === "ok" ? taken.length : 0;
      o.onOutcome?.(outcome, classified);
      const result = { outcome, classified, cached, pendingLeft };
      annotateDecisionSpan(result, taken.length === 0 ? [...links.values()] : []);
      return result;
    },
  };
}

/** Attributes on the decision's active span (scorer-svc's gRPC server span); links only when nothing was classified inline. */
function annotateDecisionSpan(r: InlineClassifyResult, links: SpanContext[]): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttributes({
    "overseer.regime.classified_inline": r.classified,
    "overseer.regime.cached": r.cached,
    "overseer.regime.inline_failed": r.outcome === "timeout" || r.outcome === "error",
    "overseer.regime.inline_outcome": r.outcome,
    "overseer.regime.pending_left": r.pendingLeft,
  });
  if (links.length > 0) span.addLinks(links.map((context): Link => ({ context, attributes: { "overseer.link": "cached regime classified here" } })));
}
