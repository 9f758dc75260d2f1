// The NodeState CR client against an in-process fake of the API server's HTTP shapes
// (GET/POST on the collection, PUT on /status with resourceVersion, Status bodies on errors).
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { CounterSource, type NodeState } from "../../gen/overseer/v1/node_state.js";
import { fakeApiServer } from "../../test/agent-fake-apiserver.js";
import { createNodeStateClient, KubeApiError } from "./nodestate-client.js";

function kubeConfig(port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "agent" }],
    contexts: [{ name: "fake", cluster: "fake", user: "agent" }],
    currentContext: "fake",
  });
  return kc;
}

const state = (sequence: number): NodeState => ({
  nodeName: "node-a",
  agentId: "node-a:1",
  sequence,
  observedAt: new Date("2026-01-02T03:04:05Z"),
  features: { schemaVersion: 1, values: [0.5], states: [FeatureState.FEATURE_STATE_PRESENT], window: { seconds: 1, nanos: 0 }, absenceDetails: {} },
  pmu: { cpuModel: "x", cpuid: "", microarchitecture: "", sockets: 1, coresPerSocket: 1, logicalCpus: 2, llcBytes: 0, memoryChannels: 0, peakMemoryBandwidthBytesPerSec: 0, tscHz: 0, imcPmuCount: 0, resctrlAvailable: false, availableEvents: ["cpu-clock"], missingEvents: [{ event: "cycles", reason: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED, detail: "d" }] },
  residents: [],
  source: CounterSource.COUNTER_SOURCE_PERF,
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("NodeState custom resource client", () => {
  it("creates the object named after the node, then writes the whole status via /status", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const c = createNodeStateClient({ kubeConfig: kubeConfig(api.port), initialBackoffMs: 1 });
    await c.upsertStatus(state(1));
    expect(api.requests).toEqual(["GET /apis/overseer.io/v1alpha1/nodestates/node-a", "POST /apis/overseer.io/v1alpha1/nodestates", "PUT /apis/overseer.io/v1alpha1/nodestates/node-a/status"]);
    const o = api.objects.get("node-a")!;
    expect(o.spec).toEqual({ nodeName: "node-a" });
    expect(o.status).toMatchObject({ nodeName: "node-a", agentId: "node-a:1", sequence: 1, observedAt: "2026-01-02T03:04:05.000Z", missingEventCount: 1, source: "COUNTER_SOURCE_PERF", regime: "", regimeModelVersion: "" });
    expect((o.status!.state as { sequence: unknown }).sequence).toBe(1);
  });

  it("preserves regime and regimeModelVersion written by scorer-svc", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const c = createNodeStateClient({ kubeConfig: kubeConfig(api.port), initialBackoffMs: 1 });
    await c.upsertStatus(state(1));
    api.bump("node-a", { status: { ...api.objects.get("node-a")!.status, regime: "REGIME_MEMORY_BANDWIDTH", regimeModelVersion: "v7" } });
    await c.upsertStatus(state(2));
    expect(api.objects.get("node-a")!.status).toMatchObject({ sequence: 2, regime: "REGIME_MEMORY_BANDWIDTH", regimeModelVersion: "v7" });
  });

  it("a 409 Conflict re-reads and retries", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const retries: number[] = [];
    const c = createNodeStateClient({ kubeConfig: kubeConfig(api.port), initialBackoffMs: 1, onRetry: (_a, e) => retries.push(e.httpStatus ?? -1) });
    await c.upsertStatus(state(1));
    api.inject.push({ method: "PUT", code: 409 });
    await c.upsertStatus(state(2));
    expect(retries).toEqual([409]);
    expect(api.objects.get("node-a")!.status!.sequence).toBe(2);
  });

  it("a 500 is retried with backoff", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const c = createNodeStateClient({ kubeConfig: kubeConfig(api.port), initialBackoffMs: 1 });
    api.inject.push({ method: "GET", code: 500 }, { method: "GET", code: 503 });
    await c.upsertStatus(state(1));
    expect(api.objects.get("node-a")!.status!.sequence).toBe(1);
  });

  it("a 403 fails at once with the API's message (not retriable)", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const c = createNodeStateClient({ kubeConfig: kubeConfig(api.port), initialBackoffMs: 1 });
    api.inject.push({ method: "GET", code: 403 });
    const err = await c.upsertStatus(state(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).httpStatus).toBe(403);
    expect((err as KubeApiError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/403: injected 403/);
    expect(api.requests).toHaveLength(1);
  });

  it("gives up after maxAttempts when the API server is unreachable", async () => {
    const api = await fakeApiServer();
    const port = api.port;
    await api.close();
    const c = createNodeStateClient({ kubeConfig: kubeConfig(port), maxAttempts: 2, initialBackoffMs: 1 });
    const err = await c.upsertStatus(state(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/unreachable/);
  });

  it("a client-side configuration error is not retried", async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [{ name: "c", server: "http://127.0.0.1:9" }], users: [{ name: "u" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
    let retries = 0;
    const c = createNodeStateClient({ kubeConfig: kc, initialBackoffMs: 1, onRetry: () => retries++ });
    const err = await c.upsertStatus(state(1)).catch((e: unknown) => e);
    expect((err as KubeApiError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/client error: HTTP protocol is not allowed/);
    expect(retries).toBe(0);
  });

  it("refuses a state without a node name", async () => {
    const c = createNodeStateClient({ kubeConfig: kubeConfig(1), maxAttempts: 1 });
    await expect(c.upsertStatus({ ...state(1), nodeName: "" })).rejects.toThrow(/no node name/);
  });
});
