// ScorerService.IngestNodeStates: the agents' client stream of NodeStates into the store. One
// message carries `state`, `states` (many, from a relay or simulator), or both (`state` first);
// each state is applied on its own, as if it came in its own message.
import type * as grpc from "@grpc/grpc-js";
import type { NodeState } from "../../gen/overseer/v1/node_state.js";
import type { IngestNodeStatesRequest, IngestNodeStatesResponse } from "../../gen/overseer/v1/scorer_service.js";
import type { LogFn } from "../bundle/bundle-holder.js";
import type { IngestRequestWithBytes } from "./ingest-codec.js";
import type { ScorerMetrics } from "./metrics.js";
import type { NodeStateStore, UpsertOutcome } from "./node-state-store.js";

export interface IngestDeps {
  store: NodeStateStore;
  metrics: ScorerMetrics;
  /** Told once per message that had at least one accepted state (the regime batcher). */
  onAccepted: () => void;
  now: () => number;
  log?: LogFn;
}

/** Metric counters advance in blocks of this many states: a labelled prom-client inc costs more than an upsert. */
const METRIC_FLUSH_STATES = 256;
const OUTCOMES = ["accepted", "ignored", "rejected"] as const;

export type IngestCounts = Record<UpsertOutcome, number>;

/**
 * Applies one request's states to the store in order; adds the outcomes to `counts`. Returns the
 * first rejection (node and reason) for logging, if any.
 */
export function applyIngestRequest(store: NodeStateStore, req: IngestNodeStatesRequest, receivedAtMs: number, counts: IngestCounts): { node: string; reason: string } | undefined {
  let firstReject: { node: string; reason: string } | undefined;
  const withBytes = req as IngestRequestWithBytes;
  const one = (s: NodeState | undefined, bytes: Uint8Array | undefined) => {
    const r = store.upsert(s, receivedAtMs, bytes);
    counts[r.outcome]++;
    if (r.outcome === "rejected" && !firstReject) firstReject = { node: s?.nodeName ?? "", reason: r.reason ?? "" };
  };
  const states = req.states ?? [];
  if (req.state !== undefined || states.length === 0) one(req.state, withBytes.stateBytes);
  const statesBytes = withBytes.statesBytes;
  for (let i = 0; i < states.length; i++) one(states[i], statesBytes?.[i]);
  return firstReject;
}

export function createIngestHandler(deps: IngestDeps): grpc.handleClientStreamingCall<IngestNodeStatesRequest, IngestNodeStatesResponse> {
  const counters = {
    accepted: deps.metrics.ingested.labels("grpc", "accepted"),
    ignored: deps.metrics.ingested.labels("grpc", "ignored"),
    rejected: deps.metrics.ingested.labels("grpc", "rejected"),
  };
  return (call, callback) => {
    const counts: IngestCounts = { accepted: 0, ignored: 0, rejected: 0 };
    const flushed: IngestCounts = { accepted: 0, ignored: 0, rejected: 0 };
    const flush = () => {
      for (const k of OUTCOMES) {
        const d = counts[k] - flushed[k];
        if (d > 0) counters[k].inc(d);
        flushed[k] = counts[k];
      }
    };
    let sinceFlush = 0;
    let loggedReject = false;
    call.on("data", (req: IngestNodeStatesRequest) => {
      const acceptedBefore = counts.accepted;
      const before = counts.accepted + counts.ignored + counts.rejected;
      const reject = applyIngestRequest(deps.store, req, deps.now(), counts);
      sinceFlush += counts.accepted + counts.ignored + counts.rejected - before;
      if (sinceFlush >= METRIC_FLUSH_STATES) {
        sinceFlush = 0;
        flush();
      }
      if (counts.accepted > acceptedBefore) deps.onAccepted();
      if (reject && !loggedReject) {
        loggedReject = true;
        deps.log?.("warn", "NodeState rejected (first of this stream)", { node: reject.node, reason: reject.reason, peer: call.getPeer() });
      }
    });
    call.on("end", () => {
      flush();
      callback(null, counts);
    });
    call.on("error", () => flush());
  };
}
