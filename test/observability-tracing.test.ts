// Tracing with a real Jaeger (v2, OTLP, deploy/jaeger-config.yaml): the services export over
// OTLP/gRPC through the telemetry preload; the spans of one placement decision link up across
// processes, queried back through Jaeger's HTTP API.
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startJaeger, type JaegerInstance } from "../lib/local-stack/observability.js";
import { repoRoot } from "../lib/local-stack/repo-root.js";
import { Supervisor } from "../lib/local-stack/supervisor.js";
import { startTestStack, type TestStack } from "../lib/local-stack/testing/stack-fixture.js";
import { toolGate } from "../lib/local-stack/testing/tool-gate.js";

const ROOT = repoRoot();
const gate = toolGate(["jaeger"], ROOT);
if (gate.mustFail) {
  describe("jaeger", () => it("is installed (CI must build it: scripts/install-tools.sh jaeger)", () => expect.fail(gate.missing)));
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; spanID: string; traceID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}
interface Span extends JaegerSpan {
  service: string;
  parentId?: string;
  tag(key: string): unknown;
}

function flatten(t: JaegerTrace): Span[] {
  return t.spans.map((s) => ({
    ...s,
    service: t.processes[s.processID]!.serviceName,
    parentId: s.references.find((r) => r.refType === "CHILD_OF")?.spanID,
    tag: (key: string) => s.tags.find((x) => x.key === key)?.value,
  }));
}

async function jaegerGet<T>(url: string): Promise<T | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return ((await res.json()) as { data: T }).data;
}

/** Polls until the trace holds spans matching `ready` (exports are batched). */
async function waitForTrace(j: JaegerInstance, traceId: string, ready: (spans: Span[]) => boolean): Promise<Span[]> {
  let spans: Span[] = [];
  for (let i = 0; i < 60; i++) {
    const data = await jaegerGet<JaegerTrace[]>(`${j.queryUrl}/api/traces/${traceId}`);
    spans = data?.[0] ? flatten(data[0]) : [];
    if (ready(spans)) return spans;
    await new Promise((r) => setTimeout(r, 250));
  }
  return spans;
}

async function prioritize(s: TestStack, pod: string, headers: Record<string, string>): Promise<{ Host: string; Score: number }[]> {
  const body = {
    Pod: { metadata: { name: pod, namespace: "cnf", uid: `uid-${pod}`, annotations: { "overseer.io/workload-class": "upf-64b" } }, spec: {} },
    Nodes: null,
    NodeNames: [s.agent.nodeName, "never-seen-node"],
  };
  const res = await fetch(`${s.svc.extenderUrl}/prioritize`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { Host: string; Score: number }[];
}

describe.skipIf(gate.missing !== undefined)(`traces in a real Jaeger${gate.missing ? ` [SKIPPED: ${gate.missing}]` : ""}`, () => {
  let sup: Supervisor;
  let jaeger: JaegerInstance;
  let stack: TestStack;

  beforeAll(async () => {
    sup = new Supervisor(mkdtempSync(path.join(os.tmpdir(), "overseer-jaeger-test-")));
    const j = await startJaeger(sup, ROOT, 30_000);
    if ("skipped" in j) throw new Error(j.skipped);
    jaeger = j;
    stack = await startTestStack({
      env: { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_BSP_SCHEDULE_DELAY: "200" },
    });
    // The agent's first states must have reached scorer-svc (and been classified) before scoring.
    await new Promise((r) => setTimeout(r, 1500));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sup?.stopAll(5000);
  }, 30_000);

  it("one decision is one trace: caller -> extender (HTTP server, prioritize) -> scorer-svc (gRPC server), parents linked", async () => {
    const traceId = randomBytes(16).toString("hex");
    const callerSpan = randomBytes(8).toString("hex");
    const scores = await prioritize(stack, "traced-upf", { traceparent: `00-${traceId}-${callerSpan}-01` });
    expect(scores.map((s) => s.Host).sort()).toEqual([stack.agent.nodeName, "never-seen-node"].sort());

    const spans = await waitForTrace(
      jaeger,
      traceId,
      (ss) => ss.some((s) => s.service === "scorer-svc") && ss.some((s) => s.service === "extender" && s.tag("span.kind") === "server") && ss.some((s) => s.operationName === "overseer.extender.prioritize"),
    );
    const httpServer = spans.find((s) => s.service === "extender" && s.tag("span.kind") === "server" && s.tag("http.request.method") === "POST");
    const decision = spans.find((s) => s.service === "extender" && s.operationName === "overseer.extender.prioritize");
    const client = spans.find((s) => s.service === "extender" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
    const server = spans.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
    expect(httpServer?.parentId, "extender HTTP span is a child of the caller's traceparent").toBe(callerSpan);
    expect(decision?.parentId).toBe(httpServer!.spanID);
    expect(client?.parentId).toBe(decision!.spanID);
    expect(server?.parentId, "scorer-svc's server span is a child of the extender's client span").toBe(client!.spanID);
    expect(server?.tag("rpc.grpc.status_code")).toBe(0);
    // scorer-svc's own attributes on its server span.
    expect(server!.tag("overseer.workload.class")).toBe("upf-64b");
    expect(server!.tag("overseer.candidate_count")).toBe(2);
    expect(String(server!.tag("overseer.model_version"))).toMatch(/\S/);
    expect(server!.tag("overseer.worst_case_count")).toBeGreaterThanOrEqual(1); // never-seen-node is scored worst case
    expect(server!.tag("overseer.degraded")).toBe(true);
    expect(String(server!.tag("overseer.scores"))).toContain("never-seen-node=0");
    // What operators need on the decision span.
    expect(decision!.tag("k8s.pod.name")).toBe("traced-upf");
    expect(decision!.tag("overseer.workload.class")).toBe("upf-64b");
    expect(decision!.tag("overseer.candidate_count")).toBe(2);
    expect(decision!.tag("overseer.degraded")).toBe(false);
    expect(String(decision!.tag("overseer.model_version"))).toMatch(/\S/);
    expect(String(decision!.tag("overseer.scores"))).toContain(stack.agent.nodeName);
  });

  it("without a traceparent the extender starts the trace itself", async () => {
    await prioritize(stack, "untraced-caller", {});
    let root: Span | undefined;
    for (let i = 0; i < 60 && !root; i++) {
      const traces = (await jaegerGet<JaegerTrace[]>(`${jaeger.queryUrl}/api/traces?service=extender&operation=overseer.extender.prioritize&limit=50&lookback=1h`)) ?? [];
      for (const t of traces) {
        const spans = flatten(t);
        const d = spans.find((s) => s.operationName === "overseer.extender.prioritize" && s.tag("k8s.pod.name") === "untraced-caller");
        if (d && spans.some((s) => s.service === "scorer-svc")) root = spans.find((s) => s.parentId === undefined);
      }
      if (!root) await new Promise((r) => setTimeout(r, 250));
    }
    expect(root?.service).toBe("extender");
  });

  it("regime classification is traced across scorer-svc -> regime-svc with correct parent links, one trace per batch", async () => {
    let pair: { client: Span; server: Span } | undefined;
    for (let i = 0; i < 60 && !pair; i++) {
      const traces = (await jaegerGet<JaegerTrace[]>(`${jaeger.queryUrl}/api/traces?service=regime-svc&limit=20&lookback=1h`)) ?? [];
      for (const t of traces) {
        const spans = flatten(t);
        const server = spans.find((s) => s.service === "regime-svc" && s.operationName === "grpc.overseer.v1.RegimeService/Classify");
        const client = spans.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.RegimeService/Classify" && s.spanID === server?.parentId);
        if (server && client) pair = { client, server };
      }
      if (!pair) await new Promise((r) => setTimeout(r, 250));
    }
    expect(pair, "a regime-svc Classify server span whose parent is scorer-svc's Classify client span").toBeDefined();
    expect(pair!.client.tag("span.kind")).toBe("client");
    // Each batch is its own trace, rooted at scorer-svc's batch span (not under an agent's ingest stream).
    const traces = (await jaegerGet<JaegerTrace[]>(`${jaeger.queryUrl}/api/traces/${pair!.client.references[0]!.traceID}`)) ?? [];
    const spans = traces[0] ? flatten(traces[0]) : [];
    const batch = spans.find((s) => s.spanID === pair!.client.parentId);
    expect(batch?.operationName).toBe("overseer.scorer.classify_batch");
    expect(batch?.parentId).toBeUndefined();
    expect(batch?.tag("overseer.batch_size")).toBeGreaterThanOrEqual(1);
    expect(pair!.server.tag("span.kind")).toBe("server");
  });
});
