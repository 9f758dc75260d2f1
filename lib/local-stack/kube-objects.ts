// The JSON kube-scheduler sends to an extender: ExtenderArgs (PascalCase top-level fields, as Go
// marshals k8s.io/kube-scheduler/extender/v1 without json tags) carrying a real camelCase Pod
// object with OverSeer's workload annotations. nodeCacheCapable: true, so only node names travel.
import type { Workload } from "../sim/index.js";

export interface CnfPod {
  name: string;
  namespace: string;
  uid: string;
  workload: Workload;
  cores: number;
  maxSlowdown: number;
}

export interface PodObject {
  apiVersion: "v1";
  kind: "Pod";
  metadata: { name: string; namespace: string; uid: string; labels: Record<string, string>; annotations: Record<string, string>; creationTimestamp: string };
  spec: {
    schedulerName: string;
    containers: { name: string; image: string; resources: { requests: Record<string, string>; limits: Record<string, string> } }[];
  };
  status: { phase: "Pending" };
}

/** A Pending pod as the API server holds it (Guaranteed QoS: whole cores, requests = limits). */
export function cnfPodObject(pod: CnfPod, memoryBytesPerCpu: number, createdAt: Date): PodObject {
  const requests = { cpu: String(pod.cores), memory: `${Math.round((pod.cores * memoryBytesPerCpu) / 1024 ** 2)}Mi` };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
      labels: { app: pod.workload.class, "overseer.io/cnf": "true" },
      annotations: { "overseer.io/workload-class": pod.workload.class, "overseer.io/max-slowdown": String(pod.maxSlowdown) },
      creationTimestamp: createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    },
    spec: {
      schedulerName: "default-scheduler",
      containers: [{ name: pod.workload.class, image: `example.com/cnf/${pod.workload.class}:1.0`, resources: { requests, limits: requests } }],
    },
    status: { phase: "Pending" },
  };
}

/** ExtenderArgs for nodeCacheCapable: true. */
export function extenderArgs(pod: PodObject, nodeNames: readonly string[]): { Pod: PodObject; Nodes: null; NodeNames: string[] } {
  return { Pod: pod, Nodes: null, NodeNames: [...nodeNames] };
}

export interface FilterAnswer {
  feasible: string[];
  failed: Record<string, string>;
  error: string;
}

/** Decodes ExtenderFilterResult (nodeCacheCapable: names); throws on a shape kube-scheduler would reject. */
export function decodeFilterResult(body: unknown): FilterAnswer {
  const b = body as { NodeNames?: unknown; FailedNodes?: unknown; FailedAndUnresolvableNodes?: unknown; Error?: unknown };
  if (typeof b !== "object" || b === null) throw new Error("filter answer is not a JSON object");
  if (b.NodeNames !== null && b.NodeNames !== undefined && !(Array.isArray(b.NodeNames) && b.NodeNames.every((n) => typeof n === "string"))) {
    throw new Error("filter answer: NodeNames is not a list of names");
  }
  const failed: Record<string, string> = {};
  for (const key of ["FailedNodes", "FailedAndUnresolvableNodes"] as const) {
    const m = b[key];
    if (m && typeof m === "object") for (const [k, v] of Object.entries(m)) failed[k] = String(v);
  }
  return { feasible: (b.NodeNames as string[] | null | undefined) ?? [], failed, error: typeof b.Error === "string" ? b.Error : "" };
}

/** Decodes HostPriorityList. */
export function decodePrioritizeResult(body: unknown): Map<string, number> {
  if (!Array.isArray(body)) throw new Error("prioritize answer is not a list");
  const out = new Map<string, number>();
  for (const e of body as { Host?: unknown; Score?: unknown }[]) {
    if (typeof e?.Host !== "string" || typeof e.Score !== "number" || !Number.isFinite(e.Score)) throw new Error("prioritize answer: entry without Host/Score");
    out.set(e.Host, e.Score);
  }
  return out;
}
