// The NodeState CR client against an in-process fake of the API server's HTTP shapes
// (GET/POST on the collection, PUT on /status with resourceVersion, Status bodies on errors).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { CounterSource, type NodeState } from "../../gen/overseer/v1/node_state.js";
import { createNodeStateClient, KubeApiError } from "./nodestate-client.js";

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion: string; creationTimestamp?: string };
  spec: { nodeName: string };
  status?: Record<string, unknown>;
}

function statusBody(code: number, reason: string, message: string) {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });
}

async function fakeApiServer() {
  const objects = new Map<string, Obj>();
  let rv = 100;
  const requests: string[] = [];
  /** Responses forced for the next matching requests: [method, code]. */
  const inject: { method: string; code: number }[] = [];
  const base = "/apis/overseer.io/v1alpha1/nodestates";
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = (req.url ?? "").split("?")[0]!;
      requests.push(`${req.method} ${url}`);
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(typeof obj === "string" ? obj : JSON.stringify(obj));
      };
      const forced = inject.findIndex((i) => i.method === req.method);
      if (forced >= 0) {
        const { code } = inject.splice(forced, 1)[0]!;
        return send(code, statusBody(code, code === 403 ? "Forbidden" : "InternalError", `injected ${code}`));
      }
      const m = new RegExp(`^${base}(?:/([^/]+))?(/status)?$`).exec(url);
      if (!m) return send(404, statusBody(404, "NotFound", "the server could not find the requested resource"));
      const name = m[1];
      if (req.method === "GET" && name) {
        const o = objects.get(name);
        return o ? send(200, o) : send(404, statusBody(404, "NotFound", `nodestates.overseer.io "${name}" not found`));
      }
      if (req.method === "POST" && !name) {
        const o = JSON.parse(body) as Obj;
        if (objects.has(o.metadata.name)) return send(409, statusBody(409, "AlreadyExists", "already exists"));
        const created: Obj = { ...o, metadata: { name: o.metadata.name, resourceVersion: String(++rv), creationTimestamp: new Date().toISOString() } };
        delete created.status; // the status subresource ignores status on create
        objects.set(o.metadata.name, created);
        return send(201, created);
      }
      if (req.method === "PUT" && name && m[2]) {
        const cur = objects.get(name);
        if (!cur) return send(404, statusBody(404, "NotFound", "not found"));
        const o = JSON.parse(body) as Obj;
        if (o.metadata.resourceVersion !== cur.metadata.resourceVersion) {
          return send(409, statusBody(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again"));
        }
        const next: Obj = { ...cur, status: o.status, metadata: { ...cur.metadata, resourceVersion: String(++rv) } };
        objects.set(name, next);
        return send(200, next);
      }
      send(405, statusBody(405, "MethodNotAllowed", "method not allowed"));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    objects,
    requests,
    inject,
    bump(name: string, patch: Partial<Obj>) {
      const cur = objects.get(name)!;
      objects.set(name, { ...cur, ...patch, metadata: { ...cur.metadata, resourceVersion: String(++rv) } });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

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

  it("refuses a state without a node name", async () => {
    const c = createNodeStateClient({ kubeConfig: kubeConfig(1), maxAttempts: 1 });
    await expect(c.upsertStatus({ ...state(1), nodeName: "" })).rejects.toThrow(/no node name/);
  });
});
