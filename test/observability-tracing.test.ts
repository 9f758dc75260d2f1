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
      // Background catch-up every 2 s while the agent publishes every 250 ms: a decision nearly always finds
      // the agent's newest state still pending and classifies it itself (the decision test retries when not);
      // no spacing of inline calls, so that a retry right after another decision may classify too.
      env: { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc", OTEL_BSP_SCHEDULE_DELAY: "200", OVERSEER_REGIME_FLUSH: "2s", OVERSEER_DECISION_CLASSIFY_INTERVAL: "0ms" },
    });
    // The agent's first states must have reached scorer-svc (and been classified) before scoring.
    await new Promise((r) => setTimeout(r, 1500));
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    await sup?.stopAll(5000);
  }, 30_000);

  it("one decision is one trace: caller -> extender (HTTP server, prioritize) -> scorer-svc (gRPC server) -> regime-svc (Classify), parents linked", async () => {
    // A decision classifies inline only when the agent's newest state is still pending (not yet taken by
    // the background catch-up); retry with a new trace when this one found nothing pending.
    let traceId = "";
    let callerSpan = "";
    let spans: Span[] = [];
    const hasRegime = (ss: Span[]) => ss.some((s) => s.service === "regime-svc");
    const complete = (ss: Span[]) => {
      const srv = ss.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
      return srv !== undefined && ss.some((s) => s.operationName === "overseer.extender.prioritize") && (srv.tag("overseer.regime.classified_inline") === 0 || hasRegime(ss));
    };
    for (let attempt = 0; attempt < 6 && !hasRegime(spans); attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 300)); // the agent publishes a newer state meanwhile
      traceId = randomBytes(16).toString("hex");
      callerSpan = randomBytes(8).toString("hex");
      const scores = await prioritize(stack, "traced-upf", { traceparent: `00-${traceId}-${callerSpan}-01` });
      expect(scores.map((s) => s.Host).sort()).toEqual([stack.agent.nodeName, "never-seen-node"].sort());
      spans = await waitForTrace(jaeger, traceId, complete);
    }
    const httpServer = spans.find((s) => s.service === "extender" && s.tag("span.kind") === "server" && s.tag("http.request.method") === "POST");
    const decision = spans.find((s) => s.service === "extender" && s.operationName === "overseer.extender.prioritize");
    const client = spans.find((s) => s.service === "extender" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
    const server = spans.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
    expect(httpServer?.parentId, "extender HTTP span is a child of the caller's traceparent").toBe(callerSpan);
    expect(decision?.parentId).toBe(httpServer!.spanID);
    expect(client?.parentId).toBe(decision!.spanID);
    expect(server?.parentId, "scorer-svc's server span is a child of the extender's client span").toBe(client!.spanID);
    expect(server?.tag("rpc.grpc.status_code")).toBe(0);
    // The extender's default scorer client (--scorer-transport h2) makes that CLIENT span itself; grpc-js
    // (and its instrumentation) is not on the path, so there is exactly one, not a second one from it.
    expect(spans.filter((s) => s.service === "extender" && s.tag("span.kind") === "client" && s.operationName.includes("ScorerService"))).toHaveLength(1);
    expect(client?.tag("rpc.grpc.status_code")).toBe(0);

    // regime-svc in the same trace: its server span's parent is scorer-svc's Classify client span, whose
    // ancestors are scorer-svc's inline-classification span and then its ScoreNodes server span.
    const regimeServer = spans.find((s) => s.service === "regime-svc" && s.operationName === "grpc.overseer.v1.RegimeService/Classify");
    expect(regimeServer, `a regime-svc span in the decision trace ${traceId} (services: ${[...new Set(spans.map((s) => s.service))].join(", ")})`).toBeDefined();
    expect(regimeServer!.tag("span.kind")).toBe("server");
    expect(regimeServer!.tag("rpc.grpc.status_code")).toBe(0);
    const regimeClient = spans.find((s) => s.spanID === regimeServer!.parentId);
    expect(regimeClient?.service).toBe("scorer-svc");
    expect(regimeClient?.operationName).toBe("grpc.overseer.v1.RegimeService/Classify");
    expect(regimeClient?.tag("span.kind")).toBe("client");
    const inline = spans.find((s) => s.spanID === regimeClient!.parentId);
    expect(inline?.operationName).toBe("overseer.scorer.classify_inline");
    expect(inline?.parentId, "the inline classification runs inside scorer-svc's ScoreNodes span").toBe(server!.spanID);
    expect(inline!.tag("overseer.batch_size")).toBe(1); // the agent's node; never-seen-node has no state
    // The whole chain reaches the caller's span through parent links only.
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    const chain: string[] = [];
    for (let s: Span | undefined = regimeServer; s; s = s.parentId ? byId.get(s.parentId) : undefined) chain.push(`${s.service}:${s.operationName}`);
    expect(chain[chain.length - 1]).toBe("extender:POST");
    expect(byId.get(httpServer!.spanID)?.parentId).toBe(callerSpan);

    // scorer-svc's own attributes on its server span.
    expect(server!.tag("overseer.workload.class")).toBe("upf-64b");
    expect(server!.tag("overseer.candidate_count")).toBe(2);
    expect(String(server!.tag("overseer.model_version"))).toMatch(/\S/);
    expect(server!.tag("overseer.worst_case_count")).toBeGreaterThanOrEqual(1); // never-seen-node is scored worst case
    expect(server!.tag("overseer.degraded")).toBe(true);
    expect(String(server!.tag("overseer.scores"))).toContain("never-seen-node=0");
    expect(server!.tag("overseer.regime.classified_inline")).toBe(1);
    expect(server!.tag("overseer.regime.inline_failed")).toBe(false);
    expect(server!.tag("overseer.regime.inline_outcome")).toBe("ok");
    expect(server!.tag("overseer.regime.cached")).toBe(0);
    // What operators need on the decision span.
    expect(decision!.tag("k8s.pod.name")).toBe("traced-upf");
    expect(decision!.tag("overseer.workload.class")).toBe("upf-64b");
    expect(decision!.tag("overseer.candidate_count")).toBe(2);
    expect(decision!.tag("overseer.degraded")).toBe(false);
    expect(String(decision!.tag("overseer.model_version"))).toMatch(/\S/);
    expect(String(decision!.tag("overseer.scores"))).toContain(stack.agent.nodeName);
  });

  it("a decision right after another finds nothing pending: it scores with the cached regime and links to the span that classified it", async () => {
    // Back to back: the agent (250 ms) rarely publishes in between; retry when it did.
    let spans: Span[] = [];
    let server: Span | undefined;
    for (let attempt = 0; attempt < 6 && server?.tag("overseer.regime.inline_outcome") !== "none"; attempt++) {
      const a = randomBytes(16).toString("hex");
      const b = randomBytes(16).toString("hex");
      await prioritize(stack, "first-upf", { traceparent: `00-${a}-${randomBytes(8).toString("hex")}-01` });
      await prioritize(stack, "second-upf", { traceparent: `00-${b}-${randomBytes(8).toString("hex")}-01` });
      spans = await waitForTrace(jaeger, b, (ss) => ss.some((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes"));
      server = spans.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.ScorerService/ScoreNodes");
    }
    expect(server?.tag("overseer.regime.inline_outcome")).toBe("none");
    expect(server!.tag("overseer.regime.cached")).toBe(1);
    expect(spans.some((s) => s.service === "regime-svc")).toBe(false);
    const links = server!.references.filter((r) => r.refType === "FOLLOWS_FROM");
    expect(links.length, "a span link to the classification that produced the cached regime").toBe(1);
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

  it("background classification (nodes no decision asked about) is traced scorer-svc -> regime-svc, one trace per batch", async () => {
    let pair: { client: Span; server: Span; batch: Span } | undefined;
    for (let i = 0; i < 60 && !pair; i++) {
      const traces = (await jaegerGet<JaegerTrace[]>(`${jaeger.queryUrl}/api/traces?service=scorer-svc&operation=overseer.scorer.classify_batch&limit=20&lookback=1h`)) ?? [];
      for (const t of traces) {
        const spans = flatten(t);
        const server = spans.find((s) => s.service === "regime-svc" && s.operationName === "grpc.overseer.v1.RegimeService/Classify");
        const client = spans.find((s) => s.service === "scorer-svc" && s.operationName === "grpc.overseer.v1.RegimeService/Classify" && s.spanID === server?.parentId);
        const batch = spans.find((s) => s.spanID === client?.parentId);
        if (server && client && batch) pair = { client, server, batch };
      }
      if (!pair) await new Promise((r) => setTimeout(r, 250));
    }
    expect(pair, "a regime-svc Classify server span whose parent is scorer-svc's Classify client span under a classify_batch span").toBeDefined();
    expect(pair!.client.tag("span.kind")).toBe("client");
    // Each batch is its own trace, rooted at scorer-svc's batch span (not under an agent's ingest stream).
    expect(pair!.batch.operationName).toBe("overseer.scorer.classify_batch");
    expect(pair!.batch.parentId).toBeUndefined();
    expect(pair!.batch.tag("overseer.batch_size")).toBeGreaterThanOrEqual(1);
    expect(pair!.server.tag("span.kind")).toBe("server");
  });
});
