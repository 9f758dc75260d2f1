// Create-or-update of the NodeState custom resource (overseer.io/v1alpha1, cluster scoped, one per
// node, named after the node). The agent replaces the whole status through the /status
// subresource with the resourceVersion it read, preserving `regime` and `regimeModelVersion`
// (written by scorer-svc); a 409 Conflict re-reads and retries, server errors, 429 and connection
// errors are retried with backoff, other 4xx fail at once.
import { ApiException, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { NodeState } from "../../gen/overseer/v1/node_state.js";

export const NODESTATE_GROUP = "overseer.io";
export const NODESTATE_VERSION = "v1alpha1";
export const NODESTATE_PLURAL = "nodestates";
export const NODESTATE_KIND = "NodeState";

export interface NodeStateStatus {
  state: unknown;
  nodeName: string;
  agentId: string;
  sequence: number;
  observedAt: string;
  missingEventCount: number;
  source: string;
  regime: string;
  regimeModelVersion: string;
}

/** The status the agent writes for a NodeState (regime fields filled from the object read). */
export function statusFromNodeState(s: NodeState): Omit<NodeStateStatus, "regime" | "regimeModelVersion"> {
  const json = NodeState.toJSON(s) as Record<string, unknown>;
  return {
    state: json,
    nodeName: s.nodeName,
    agentId: s.agentId,
    sequence: s.sequence,
    observedAt: (s.observedAt ?? new Date(0)).toISOString(),
    missingEventCount: s.pmu?.missingEvents.length ?? 0,
    source: String(json["source"] ?? ""),
  };
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number | undefined,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** Classifies what @kubernetes/client-node 1.4 throws: ApiException (HTTP) or FetchError (network). */
export function classifyKubeError(e: unknown): KubeApiError {
  if (e instanceof KubeApiError) return e;
  if (e instanceof ApiException) {
    const code = e.code;
    let reason = "";
    try {
      const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
      reason = body?.message ?? "";
    } catch {
      reason = String(e.body).slice(0, 200);
    }
    const retriable = code === 409 || code === 429 || code >= 500;
    return new KubeApiError(`Kubernetes API answered ${code}${reason ? `: ${reason}` : ""}`, code, retriable);
  }
  const err = e as { code?: unknown; name?: string; type?: string; message?: string };
  const network = (typeof err.code === "string" && /^E[A-Z_]+$/.test(err.code)) || err.name === "FetchError" || err.type === "system";
  if (network) return new KubeApiError(`Kubernetes API unreachable: ${String(err.code ?? "")} ${err.message ?? ""}`.trim(), undefined, true);
  return new KubeApiError(`Kubernetes client error: ${err.message ?? String(e)}`, undefined, false);
}

export interface NodeStateClientOptions {
  kubeConfig: KubeConfig;
  /** Attempts per upsert (>= 1). */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  fieldManager?: string;
  onRetry?: (attempt: number, err: KubeApiError) => void;
}

export interface NodeStateClient {
  /** Creates the object if needed and replaces its status. Resolves with the new resourceVersion. */
  upsertStatus(state: NodeState): Promise<string>;
}

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
  status?: Partial<NodeStateStatus>;
}

export function createNodeStateClient(opts: NodeStateClientOptions): NodeStateClient {
  const api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  const initial = opts.initialBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  const fieldManager = opts.fieldManager ?? "overseer-agent";
  const ids = { group: NODESTATE_GROUP, version: NODESTATE_VERSION, plural: NODESTATE_PLURAL };

  async function getOrCreate(name: string): Promise<KubeObject> {
    try {
      return (await api.getClusterCustomObject({ ...ids, name })) as KubeObject;
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 404)) throw e;
    }
    const body: KubeObject = { apiVersion: `${NODESTATE_GROUP}/${NODESTATE_VERSION}`, kind: NODESTATE_KIND, metadata: { name }, spec: { nodeName: name } };
    try {
      return (await api.createClusterCustomObject({ ...ids, body, fieldManager })) as KubeObject;
    } catch (e) {
      // Someone created it between our GET and POST: read theirs.
      if (e instanceof ApiException && e.code === 409) return (await api.getClusterCustomObject({ ...ids, name })) as KubeObject;
      throw e;
    }
  }

  async function attempt(state: NodeState): Promise<string> {
    const name = state.nodeName;
    const current = await getOrCreate(name);
    const body: KubeObject = {
      apiVersion: `${NODESTATE_GROUP}/${NODESTATE_VERSION}`,
      kind: NODESTATE_KIND,
      metadata: { name, resourceVersion: current.metadata?.resourceVersion },
      spec: current.spec ?? { nodeName: name },
      status: {
        ...statusFromNodeState(state),
        regime: current.status?.regime ?? "",
        regimeModelVersion: current.status?.regimeModelVersion ?? "",
      },
    };
    const res = (await api.replaceClusterCustomObjectStatus({ ...ids, name, body, fieldManager })) as KubeObject;
    return res.metadata?.resourceVersion ?? "";
  }

  return {
    async upsertStatus(state) {
      if (!state.nodeName) throw new KubeApiError("NodeState has no node name", undefined, false);
      let backoff = initial;
      for (let i = 1; ; i++) {
        try {
          return await attempt(state);
        } catch (e) {
          const err = classifyKubeError(e);
          if (!err.retriable || i >= maxAttempts) throw err;
          opts.onRetry?.(i, err);
          // A conflict is retried at once (fresh read); other failures back off.
          if (err.httpStatus !== 409) {
            await new Promise((r) => setTimeout(r, backoff));
            backoff = Math.min(maxBackoff, backoff * 2);
          }
        }
      }
    },
  };
}
