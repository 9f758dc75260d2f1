// The extender's two verbs without the network: request in, answer out. Maps the pod to a
// workload, asks scorer-svc within the deadline (through the circuit breaker), degrades when it
// cannot, and records the decision in one span and in the metrics.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import type { CircuitBreaker } from "./circuit-breaker.js";
import { decideFilter, decideScores, neutralScores, topScores } from "./decide.js";
import { BackendUnavailableError } from "./errors.js";
import type { Logger } from "./log.js";
import type { DecisionOutcome, DegradedReason, ExtenderMetrics, Verb } from "./metrics.js";
import { BackendCallError, isBackendDown, type ScorerBackend } from "./scorer-backend.js";
import { encodeFilterResult, encodePrioritizeResult, type ExtenderFilterResult, type ExtenderRequest, type HostPriority } from "./wire.js";
import { podToWorkload } from "./workload.js";
import * as grpc from "@grpc/grpc-js";

export type OnBackendError = "pass" | "error";

export interface ExtenderServiceOptions {
  backend: ScorerBackend;
  breaker: CircuitBreaker;
  metrics: ExtenderMetrics;
  logger: Logger;
  /** Deadline of each scorer-svc call; must stay below kube-scheduler's httpTimeout. */
  backendDeadlineMs: number;
  /** "pass": neutral answer (all feasible / equal scores); "error": HTTP 503 so `ignorable` decides. */
  onBackendError: OnBackendError;
  /** Largest number of node=score pairs put on the span. */
  spanScoreLimit?: number;
}

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export interface ExtenderService {
  filter(req: ExtenderRequest, headers?: Headers): Promise<ExtenderFilterResult>;
  prioritize(req: ExtenderRequest, headers?: Headers): Promise<HostPriority[]>;
  /**
   * prioritize's decision as scores aligned with req.nodeNames, already within
   * [0, MaxExtenderPriority]: what the HTTP edge encodes without building HostPriority objects.
   */
  prioritizeScores(req: ExtenderRequest, headers?: Headers): Promise<number[]>;
}

export const TRACER_NAME = "overseer-extender";

class Degraded extends Error {
  constructor(
    readonly reason: DegradedReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createExtenderService(opts: ExtenderServiceOptions): ExtenderService {
  const { backend, breaker, metrics, logger } = opts;
  const tracer = trace.getTracer(TRACER_NAME);
  const spanScoreLimit = opts.spanScoreLimit ?? 64;

  /** Calls scorer-svc through the breaker with a hard deadline; failures become Degraded. */
  async function callBackend<T>(method: "ScoreNodes" | "FilterNodes", run: (deadlineMs: number) => Promise<T>): Promise<T> {
    if (!breaker.tryAcquire()) {
      throw new Degraded("circuit_open", `circuit open after repeated scorer-svc failures (next probe in ${breaker.retryInMs()} ms)`);
    }
    const started = performance.now();
    // The gRPC deadline ends the call; the timer only guards against a backend that ignores it.
    let timer: NodeJS.Timeout | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BackendCallError(grpc.status.DEADLINE_EXCEEDED, `scorer-svc: no answer within ${opts.backendDeadlineMs} ms`)),
        opts.backendDeadlineMs + 50,
      );
    });
    try {
      const result = await Promise.race([run(opts.backendDeadlineMs), guard]);
      breaker.recordSuccess();
      return result;
    } catch (err) {
      const down = isBackendDown(err);
      if (down) breaker.recordFailure();
      else breaker.recordSuccess();
      const message = err instanceof Error ? err.message : String(err);
      const reason: DegradedReason =
        err instanceof BackendCallError && err.code === grpc.status.DEADLINE_EXCEEDED ? "deadline" : down ? "backend_error" : "backend_rejected";
      throw new Degraded(reason, message, { cause: err });
    } finally {
      clearTimeout(timer);
      metrics.backendDuration.observe({ method }, (performance.now() - started) / 1000);
    }
  }

  /**
   * Runs `body` in the decision's span. When HTTP instrumentation already made a server span for
   * this request (it is the active span), the decision span is its child, so one trace holds
   * both; otherwise the decision span is the SERVER span, joined to an incoming traceparent.
   */
  async function inSpan<T>(verb: Verb, req: ExtenderRequest, headers: Headers, body: (span: Span) => Promise<T>): Promise<T> {
    const active = context.active();
    const nested = trace.getSpan(active) !== undefined;
    const parent = nested ? active : propagation.extract(ROOT_CONTEXT, headers);
    const span = tracer.startSpan(
      `overseer.extender.${verb}`,
      {
        kind: nested ? SpanKind.INTERNAL : SpanKind.SERVER,
        attributes: {
          "k8s.pod.name": req.pod.name,
          "k8s.namespace.name": req.pod.namespace,
          "k8s.pod.uid": req.pod.uid,
          "overseer.extender.verb": verb,
          "overseer.extender.node_cache_mode": req.mode,
          "overseer.candidate_count": req.nodeNames.length,
        },
      },
      parent,
    );
    try {
      return await context.with(trace.setSpan(parent, span), () => body(span));
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  }

  function classify(verb: Verb, req: ExtenderRequest, span: Span): WorkloadSpec | undefined {
    metrics.candidates.observe({ verb }, req.nodeNames.length);
    const workload = podToWorkload(req.pod);
    for (const p of workload.problems) {
      metrics.annotationProblems.inc({ annotation: p.key });
      logger.warn("ignored invalid pod annotation", { pod: `${req.pod.namespace}/${req.pod.name}`, key: p.key, problem: p.message });
    }
    if (workload.kind === "passthrough") {
      span.setAttribute("overseer.workload.class", "");
      span.setAttribute("overseer.passthrough_reason", workload.reason);
      return undefined;
    }
    span.setAttribute("overseer.workload.class", workload.spec.workloadClass);
    span.setAttribute("overseer.workload.max_slowdown", workload.spec.maxSlowdown);
    span.setAttribute("overseer.workload.pod_profile", workload.spec.soloProfile !== undefined);
    return workload.spec;
  }

  /** Records a degraded answer; throws BackendUnavailableError when configured to error. */
  function degrade(verb: Verb, req: ExtenderRequest, span: Span, d: Degraded): void {
    metrics.degraded.inc({ verb, reason: d.reason });
    span.setAttribute("overseer.degraded", true);
    span.setAttribute("overseer.degraded_reason", d.reason);
    span.setStatus({ code: SpanStatusCode.ERROR, message: d.message });
    const fields = { verb, pod: `${req.pod.namespace}/${req.pod.name}`, reason: d.reason, error: d.message, candidates: req.nodeNames.length };
    if (opts.onBackendError === "error") {
      metrics.decisions.inc({ verb, outcome: "error" });
      logger.warn("scorer-svc unusable; answering 503 (kube-scheduler's ignorable decides)", fields);
      throw new BackendUnavailableError(`OverSeer ${verb}: scorer-svc unusable (${d.reason}): ${d.message}`, { cause: d });
    }
    metrics.decisions.inc({ verb, outcome: "degraded" });
    logger.warn(verb === "filter" ? "scorer-svc unusable; every node passes the filter" : "scorer-svc unusable; equal scores", fields);
  }

  function settle(verb: Verb, span: Span, outcome: DecisionOutcome): void {
    metrics.decisions.inc({ verb, outcome });
    span.setAttribute("overseer.outcome", outcome);
    span.setAttribute("overseer.degraded", false);
  }

  function warnUnexpected(verb: Verb, req: ExtenderRequest, unexpected: string[], missing: string[] = []): void {
    if (unexpected.length === 0 && missing.length === 0) return;
    logger.warn("scorer-svc answer did not match the candidates; extra names dropped, missing ones scored worst", {
      verb,
      pod: `${req.pod.namespace}/${req.pod.name}`,
      unexpected: unexpected.slice(0, 10),
      missing: missing.slice(0, 10),
    });
  }

  const prioritizeScores = (req: ExtenderRequest, headers: Headers = {}): Promise<number[]> =>
    inSpan("prioritize", req, headers, async (span) => {
      const spec = classify("prioritize", req, span);
      if (spec === undefined) {
        settle("prioritize", span, "passthrough");
        return neutralScores(req);
      }
      try {
        const resp = await callBackend("ScoreNodes", (ms) => backend.scoreNodes({ workload: spec, nodeNames: req.nodeNames, scoresOnly: true }, ms));
        const d = decideScores(req, resp);
        warnUnexpected("prioritize", req, d.unexpected, d.missing);
        settle("prioritize", span, "scored");
        span.setAttribute("overseer.model_version", resp.modelVersion);
        // Sorting thousands of scores is wasted work when no SDK records the span.
        if (span.isRecording()) span.setAttribute("overseer.scores", topScores(req.nodeNames, d.scores, spanScoreLimit));
        return d.scores;
      } catch (err) {
        if (!(err instanceof Degraded)) throw err;
        degrade("prioritize", req, span, err);
        span.setAttribute("overseer.outcome", "degraded");
        return neutralScores(req);
      }
    });

  return {
    filter: (req, headers = {}) =>
      inSpan("filter", req, headers, async (span) => {
        const spec = classify("filter", req, span);
        const allFeasible = () => encodeFilterResult(req, req.nodeNames, new Map());
        if (spec === undefined) {
          settle("filter", span, "passthrough");
          return allFeasible();
        }
        if (spec.maxSlowdown === 0) {
          // No limit on the pod: nothing for a hard filter to remove, so no call at all.
          settle("filter", span, "no_limit");
          return allFeasible();
        }
        try {
          const resp = await callBackend("FilterNodes", (ms) => backend.filterNodes({ workload: spec, nodeNames: req.nodeNames }, ms));
          const d = decideFilter(req, resp);
          warnUnexpected("filter", req, d.unexpected);
          settle("filter", span, "scored");
          span.setAttribute("overseer.feasible_count", d.feasible.length);
          span.setAttribute("overseer.filtered_count", d.failed.size);
          return encodeFilterResult(req, d.feasible, d.failed);
        } catch (err) {
          if (!(err instanceof Degraded)) throw err;
          degrade("filter", req, span, err);
          span.setAttribute("overseer.outcome", "degraded");
          return allFeasible();
        }
      }),

    prioritizeScores,
    prioritize: async (req, headers = {}) => encodePrioritizeResult(req, await prioritizeScores(req, headers)),
  };
}
