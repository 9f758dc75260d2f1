// One SERVER span per extender call, joined to an incoming W3C traceparent, carrying the decision,
// and the scorer-svc call made inside that span's context. The SDK pieces registered here stand
// in for the project's telemetry preload (business code only uses @opentelemetry/api).
import { context, propagation, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGrpcScorerBackend, type ScorerBackend } from "../lib/extender/scorer-backend.js";
import { decodeExtenderArgs } from "../lib/extender/wire.js";
import { namesRequest, post, startFakeScorer, startTestExtender, type FakeScorer, type TestExtender } from "./extender-fixtures.js";

const exporter = new InMemorySpanExporter();
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID = "00f067aa0ba902b7";
let scorer: FakeScorer;
let ext: TestExtender;
/** Span context active when the backend was called. */
let activeAtBackendCall: { traceId: string; spanId: string } | undefined;

beforeAll(async () => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  scorer = await startFakeScorer();
  const real = createGrpcScorerBackend({ address: scorer.address });
  const observed: ScorerBackend = {
    scoreNodes: (req, ms) => {
      activeAtBackendCall = trace.getActiveSpan()?.spanContext();
      return real.scoreNodes(req, ms);
    },
    filterNodes: (req, ms) => {
      activeAtBackendCall = trace.getActiveSpan()?.spanContext();
      return real.filterNodes(req, ms);
    },
    close: () => real.close(),
  };
  ext = await startTestExtender(scorer.address, ["--scorer-deadline", "300ms"], { backend: observed });
});
afterAll(async () => {
  await ext.close();
  scorer.kill();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => {
  exporter.reset();
  activeAtBackendCall = undefined;
  scorer.mode = "ok";
});

describe("extender spans", () => {
  it("prioritize: child of the incoming traceparent, with pod, class, candidates and scores; scorer called inside it", async () => {
    const r = await post(`${ext.base}/prioritize`, namesRequest(["node-a", "node-b", "node-c"]), {
      traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`,
    });
    expect(r.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.name).toBe("overseer.extender.prioritize");
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(span.attributes).toMatchObject({
      "k8s.pod.name": "upf-7d9c5b-x2k4q",
      "k8s.namespace.name": "ran",
      "overseer.workload.class": "upf",
      "overseer.candidate_count": 3,
      "overseer.degraded": false,
      "overseer.outcome": "scored",
      "overseer.model_version": "test-model-1",
      "overseer.scores": ["node-a=9", "node-c=6", "node-b=2"],
    });
    expect(activeAtBackendCall).toEqual(expect.objectContaining({ traceId: TRACE_ID, spanId: span.spanContext().spanId }));
  });

  it("without a traceparent the span is a new root", async () => {
    await post(`${ext.base}/filter`, namesRequest(["node-a", "node-b"]));
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.name).toBe("overseer.extender.filter");
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes["overseer.filtered_count"]).toBe(1);
  });

  it("a degraded answer is marked on the span with the reason and an error status", async () => {
    scorer.mode = "hang";
    await post(`${ext.base}/prioritize`, namesRequest(["node-a"]));
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.attributes["overseer.degraded"]).toBe(true);
    expect(span.attributes["overseer.degraded_reason"]).toBe("deadline");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("under an active span (HTTP instrumentation's server span) the decision span is its INTERNAL child", async () => {
    const outer = trace.getTracer("test-http").startSpan("POST /overseer/prioritize", { kind: SpanKind.SERVER });
    const args = decodeExtenderArgs(namesRequest(["node-a"]));
    await context.with(trace.setSpan(context.active(), outer), () => ext.service.prioritize(args, { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` }));
    outer.end();
    const span = exporter.getFinishedSpans().find((s) => s.name === "overseer.extender.prioritize")!;
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(span.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(activeAtBackendCall?.spanId).toBe(span.spanContext().spanId);
  });

  it("a pass-through pod gets a span too, without a scorer call", async () => {
    await post(`${ext.base}/prioritize`, namesRequest(["node-a"], { metadata: { name: "web", namespace: "default" } }));
    const span = exporter.getFinishedSpans()[0]!;
    expect(span.attributes["overseer.outcome"]).toBe("passthrough");
    expect(activeAtBackendCall).toBeUndefined();
  });
});
