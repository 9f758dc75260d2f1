// Shared fixtures of the extender tests: requests in the exact shape kube-scheduler (Go) sends,
// a real grpc-js server implementing ScorerService with a scriptable fake, and an extender
// started on an ephemeral loopback port.
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { Regime } from "../gen/overseer/v1/regime.js";
import {
  ScoreBasis,
  ScorerServiceService,
  type FilterNodesRequest,
  type FilterNodesResponse,
  type ScoreNodesRequest,
  type ScoreNodesResponse,
} from "../gen/overseer/v1/scorer_service.js";
import { startExtender, type Extender, type ExtenderParts } from "../lib/extender/app.js";
import { parseExtenderConfig, type ExtenderConfig } from "../lib/extender/config.js";
import type { Logger, LogFields } from "../lib/extender/log.js";

/** A Pending pod as the API server stores it and kube-scheduler marshals it (camelCase). */
export function goldenPod(annotations: Record<string, string> = {}, labels: Record<string, string> = { app: "upf" }) {
  return {
    metadata: {
      name: "upf-7d9c5b-x2k4q",
      generateName: "upf-7d9c5b-",
      namespace: "ran",
      uid: "5f1c8a8e-2b7d-4c39-9a53-0c6b1d2e3f40",
      resourceVersion: "48213",
      creationTimestamp: "2026-11-28T10:00:00Z",
      labels,
      annotations,
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "upf-7d9c5b", uid: "0b0c", controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: [
        {
          name: "upf",
          image: "registry.example/upf:1.4",
          resources: { limits: { cpu: "4", memory: "8Gi", "hugepages-1Gi": "4Gi" }, requests: { cpu: "4", memory: "8Gi", "hugepages-1Gi": "4Gi" } },
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
          imagePullPolicy: "IfNotPresent",
        },
      ],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [{ key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: { phase: "Pending", qosClass: "Guaranteed" },
  };
}

export const CNF_ANNOTATIONS = {
  "overseer.io/workload-class": "upf",
  "overseer.io/max-slowdown": "1.25",
  "overseer.io/solo-profile": JSON.stringify({ cores: 4, instructionsPerSec: 1.2e10, llcWorkingSetBytes: 2.5e7, tmaMemoryBoundFraction: 0.35 }),
};

export function goldenNode(name: string) {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: "1007",
      creationTimestamp: "2026-11-28T09:00:00Z",
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "feature.node.kubernetes.io/cpu-model.family": "6" },
      annotations: { "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: { podCIDR: "10.244.1.0/24" },
    status: {
      capacity: { cpu: "112", memory: "515000000Ki", pods: "110", "hugepages-1Gi": "64Gi" },
      allocatable: { cpu: "110", memory: "510000000Ki", pods: "110", "hugepages-1Gi": "64Gi" },
      conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "2026-11-28T10:00:00Z", lastTransitionTime: "2026-11-28T09:00:00Z", reason: "KubeletReady", message: "kubelet is posting ready status" }],
      addresses: [{ type: "InternalIP", address: "192.0.2.10" }, { type: "Hostname", address: name }],
      nodeInfo: { architecture: "amd64", operatingSystem: "linux", kubeletVersion: "v1.34.1", containerRuntimeVersion: "containerd://2.1.4" },
    },
  };
}

/** nodeCacheCapable: true — Go marshals the nil *NodeList as null. */
export function namesRequest(names: string[], pod: unknown = goldenPod(CNF_ANNOTATIONS)) {
  return { Pod: pod, Nodes: null, NodeNames: names };
}

/** nodeCacheCapable: false — Go marshals the nil *[]string as null. */
export function nodesRequest(names: string[], pod: unknown = goldenPod(CNF_ANNOTATIONS)) {
  return { Pod: pod, Nodes: { metadata: {}, items: names.map(goldenNode) }, NodeNames: null };
}

export type ScorerMode = "ok" | "hang" | "unavailable" | "invalid-argument";

export interface FakeScorer {
  address: string;
  port: number;
  mode: ScorerMode;
  scoreCalls: ScoreNodesRequest[];
  filterCalls: FilterNodesRequest[];
  /** Per node score (default 5) and filter reasons; replace to script answers. */
  scoreFor: (req: ScoreNodesRequest) => ScoreNodesResponse;
  filterFor: (req: FilterNodesRequest) => FilterNodesResponse;
  /** Kills the server at once: in-flight calls are cut. */
  kill(): void;
  shutdown(): Promise<void>;
}

export const GOLDEN_SCORES: Record<string, number> = { "node-a": 9, "node-b": 2, "node-c": 6 };
export const GOLDEN_FILTERED: Record<string, string> = { "node-b": "OverSeer: slowdown upper bound 1.61 exceeds limit 1.25 (regime memory-bandwidth-saturated)" };

export function tableScores(req: ScoreNodesRequest): ScoreNodesResponse {
  return {
    modelVersion: "test-model-1",
    packedScores: Buffer.alloc(0),
    scores: req.nodeNames.map((n) => ({
      nodeName: n,
      score: GOLDEN_SCORES[n] ?? 5,
      predictedSlowdown: 1.1,
      slowdownUpperBound: 1.2,
      regime: Regime.REGIME_QUIET,
      basis: ScoreBasis.SCORE_BASIS_MODEL,
    })),
  };
}

export function tableFilter(req: FilterNodesRequest): FilterNodesResponse {
  return {
    feasibleNodeNames: req.nodeNames.filter((n) => GOLDEN_FILTERED[n] === undefined),
    filtered: req.nodeNames.filter((n) => GOLDEN_FILTERED[n] !== undefined).map((n) => ({ nodeName: n, reason: GOLDEN_FILTERED[n]! })),
  };
}

/** A real grpc-js server implementing ScorerService with a fake (scriptable) implementation. */
export async function startFakeScorer(port = 0): Promise<FakeScorer> {
  const server = new grpc.Server();
  const fake: FakeScorer = {
    address: "",
    port: 0,
    mode: "ok",
    scoreCalls: [],
    filterCalls: [],
    scoreFor: tableScores,
    filterFor: tableFilter,
    kill: () => server.forceShutdown(),
    shutdown: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
  const answer = <Req, Res>(calls: Req[], produce: (r: Req) => Res): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      calls.push(call.request);
      switch (fake.mode) {
        case "ok":
          callback(null, produce(call.request));
          return;
        case "hang":
          return; // never answers: the client's deadline (or a kill) ends the call
        case "unavailable":
          callback({ code: grpc.status.UNAVAILABLE, details: "fake scorer: no model loaded" } as grpc.ServiceError, null);
          return;
        case "invalid-argument":
          callback({ code: grpc.status.INVALID_ARGUMENT, details: "fake scorer: bad workload" } as grpc.ServiceError, null);
          return;
      }
    };
  server.addService(ScorerServiceService, {
    scoreNodes: answer<ScoreNodesRequest, ScoreNodesResponse>(fake.scoreCalls, (r) => fake.scoreFor(r)),
    filterNodes: answer<FilterNodesRequest, FilterNodesResponse>(fake.filterCalls, (r) => fake.filterFor(r)),
  } as unknown as grpc.UntypedServiceImplementation);
  fake.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  fake.address = `127.0.0.1:${fake.port}`;
  return fake;
}

export interface CapturedLog {
  level: string;
  msg: string;
  fields: LogFields;
}

export function capturingLogger(): Logger & { lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const at = (level: string) => (msg: string, fields: LogFields = {}) => void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface TestExtender extends Extender {
  base: string;
  config: ExtenderConfig;
  logger: ReturnType<typeof capturingLogger>;
}

/** An extender on 127.0.0.1:0 talking to `scorerAddress`; extra flags as argv. */
export async function startTestExtender(scorerAddress: string, argv: string[] = [], parts: ExtenderParts = {}): Promise<TestExtender> {
  const config = parseExtenderConfig(["--listen", "127.0.0.1:0", "--scorer-address", scorerAddress, ...argv], {});
  const logger = capturingLogger();
  const ext = await startExtender(config, { registry: new Registry(), logger, ...parts });
  return Object.assign(ext, { base: `${ext.server.url}${config.pathPrefix}`, config, logger });
}

export interface Reply {
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type"), text, json };
}

/** Value of one sample (histograms: pass "<name>_count", "<name>_sum"); undefined if absent. */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  for (const metric of await registry.getMetricsAsJSON()) {
    if (!name.startsWith(metric.name)) continue;
    const sample = (metric.values as { labels: Record<string, string | number>; value: number; metricName?: string }[]).find(
      (v) => (v.metricName ?? metric.name) === name && Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val),
    );
    if (sample) return sample.value;
  }
  return undefined;
}
