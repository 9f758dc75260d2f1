// Kubernetes objects the e2e creates: fake Nodes (no kubelet: status is set on create), pods,
// NodeState objects. Plain JSON, the shapes the API server expects.

export interface FakeNode {
  name: string;
  cpu: string;
  memory: string;
  pods?: string;
  labels?: Record<string, string>;
}

export function nodeObject(n: FakeNode): object {
  const resources = { cpu: n.cpu, memory: n.memory, pods: n.pods ?? "110" };
  const now = new Date().toISOString();
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "overseer.io/e2e": "true", ...n.labels } },
    spec: {},
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [{ type: "Ready", status: "True", reason: "FakeNode", message: "e2e node without kubelet", lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

export interface PodOptions {
  name: string;
  namespace: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  nodeName?: string;
  serviceAccountName?: string;
}

export function podObject(p: PodOptions): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: p.name, namespace: p.namespace, annotations: p.annotations ?? {}, labels: { "overseer.io/e2e": "true", ...p.labels } },
    spec: {
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
      // Never pulled: there is no kubelet. Requests make the scheduler's resource fit real.
      containers: [{ name: "main", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: p.cpu ?? "2", memory: p.memory ?? "2Gi" } } }],
      terminationGracePeriodSeconds: 0,
    },
  };
}

export const NODESTATES = "/apis/overseer.io/v1alpha1/nodestates";

export function nodeStateObject(name: string, nodeName = name): object {
  return { apiVersion: "overseer.io/v1alpha1", kind: "NodeState", metadata: { name }, spec: { nodeName } };
}

/** A status as the agent writes it (state is the proto JSON; a minimal valid one here). */
export function nodeStateStatus(node: string, sequence: number): object {
  const observedAt = new Date().toISOString();
  return {
    state: { nodeName: node, agentId: `e2e-${node}`, sequence, observedAt },
    nodeName: node,
    agentId: `e2e-${node}`,
    sequence,
    observedAt,
    missingEventCount: 0,
    source: "e2e",
    regime: "",
    regimeModelVersion: "",
  };
}
