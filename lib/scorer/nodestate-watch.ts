// Cluster mode: the NodeState custom resources (overseer.io/v1alpha1, see deploy/crd-nodestate.yaml)
// are the shared state; every scorer replica watches them with an informer (list + watch, re-listed
// after errors) and feeds its store. `status.state` holds the NodeState in proto3 JSON.
import { CustomObjectsApi, KubeConfig, PatchStrategy, makeInformer, setHeaderOptions, type KubernetesObject } from "@kubernetes/client-node";
import { Regime, regimeToJSON } from "../../gen/overseer/v1/regime.js";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import type { LogFn } from "../bundle/bundle-holder.js";
import { NODESTATE_GROUP, NODESTATE_PLURAL, NODESTATE_VERSION } from "../kube/nodestate-client.js";
import type { ScorerMetrics } from "./metrics.js";
import type { NodeStateStore, UpsertOutcome } from "./node-state-store.js";

export interface NodeStateObject extends KubernetesObject {
  spec?: { nodeName?: string };
  status?: { state?: unknown; regime?: string; regimeModelVersion?: string };
}

export type Converted = { ok: true; state: NodeState } | { ok: false; reason: string };

/** status.state (proto3 JSON) -> NodeState; the object's name must be the node's name. */
export function nodeStateFromObject(obj: NodeStateObject): Converted {
  const name = obj.metadata?.name ?? "";
  const raw = obj.status?.state;
  if (typeof raw !== "object" || raw === null) return { ok: false, reason: `NodeState ${name}: status.state is missing (agent has not published yet)` };
  let state: NodeState;
  try {
    state = NodeState.fromJSON(raw);
  } catch (e) {
    return { ok: false, reason: `NodeState ${name}: status.state is not a NodeState: ${(e as Error).message}` };
  }
  if (state.nodeName !== name) return { ok: false, reason: `NodeState ${name}: status.state.nodeName is "${state.nodeName}", the object must be named after its node` };
  return { ok: true, state };
}

export interface WatchOptions {
  kubeconfig: string;
  inCluster: boolean;
  store: NodeStateStore;
  onAccepted: () => void;
  metrics: ScorerMetrics;
  log: LogFn;
  /** Wait before re-listing after a watch error. */
  restartDelayMs?: number;
  /** When given, a regime that differs from the object's status.regime is written back (merge patch on /status). */
  onClassified?: (fn: (names: string[]) => void) => void;
}

/** The status fields scorer-svc owns, or undefined when the object already shows them. */
export function regimePatch(current: string | undefined, regime: Regime, modelVersion: string): { regime: string; regimeModelVersion: string } | undefined {
  if (regime === Regime.REGIME_UNSPECIFIED) return undefined;
  const name = regimeToJSON(regime);
  return current === name ? undefined : { regime: name, regimeModelVersion: modelVersion };
}

export async function startNodeStateWatch(o: WatchOptions): Promise<() => Promise<void>> {
  const kc = new KubeConfig();
  if (o.inCluster) kc.loadFromCluster();
  else kc.loadFromFile(o.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const path = `/apis/${NODESTATE_GROUP}/${NODESTATE_VERSION}/${NODESTATE_PLURAL}`;
  const informer = makeInformer<NodeStateObject>(kc, path, () => api.listClusterCustomObject({ group: NODESTATE_GROUP, version: NODESTATE_VERSION, plural: NODESTATE_PLURAL }) as never);
  const counters = Object.fromEntries((["accepted", "ignored", "rejected"] as const).map((k) => [k, o.metrics.ingested.labels("kubernetes", k)])) as Record<UpsertOutcome, { inc(): void }>;
  // status.regime as the API server last showed it, per node.
  const shownRegime = new Map<string, string>();
  const handle = (obj: NodeStateObject) => {
    if (obj.metadata?.name) shownRegime.set(obj.metadata.name, obj.status?.regime ?? "");
    const c = nodeStateFromObject(obj);
    if (!c.ok) {
      counters.rejected.inc();
      o.log("warn", "NodeState object rejected", { reason: c.reason });
      return;
    }
    const r = o.store.upsert(c.state);
    counters[r.outcome].inc();
    if (r.outcome === "accepted") o.onAccepted();
    else if (r.outcome === "rejected") o.log("warn", "NodeState object rejected", { node: c.state.nodeName, reason: r.reason });
  };
  informer.on("add", handle);
  informer.on("update", handle);
  informer.on("delete", (obj) => {
    if (obj.metadata?.name) {
      o.store.delete(obj.metadata.name);
      shownRegime.delete(obj.metadata.name);
    }
  });
  let patchFailing = false;
  o.onClassified?.((names) => {
    for (const name of names) {
      const rec = o.store.get(name);
      if (!rec?.regime || rec.regimeStale || !shownRegime.has(name)) continue;
      const body = regimePatch(shownRegime.get(name), rec.regime.regime, rec.regime.modelVersion);
      if (!body) continue;
      shownRegime.set(name, body.regime);
      api
        .patchClusterCustomObjectStatus({ group: NODESTATE_GROUP, version: NODESTATE_VERSION, plural: NODESTATE_PLURAL, name, body: { status: body } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))
        .then(
          () => {
            if (patchFailing) o.log("info", "NodeState regime patches succeed again", {});
            patchFailing = false;
          },
          (e: unknown) => {
            shownRegime.delete(name);
            if (!patchFailing) o.log("warn", "cannot write the regime into NodeState status (needs patch on nodestates/status); scoring is unaffected", { node: name, error: String((e as Error)?.message ?? e).slice(0, 300) });
            patchFailing = true;
          },
        );
    }
  });
  let stopped = false;
  const restart = () => {
    if (stopped) return;
    setTimeout(() => {
      if (!stopped) informer.start().catch((e: unknown) => o.log("warn", "NodeState watch restart failed", { error: String(e) }));
    }, o.restartDelayMs ?? 5000).unref();
  };
  informer.on("error", (err: unknown) => {
    o.log("warn", "NodeState watch failed; re-listing after a delay", { error: String((err as Error)?.message ?? err) });
    restart();
  });
  informer.on("connect", () => o.log("info", "NodeState watch connected", { path }));
  // Do not block start-up on the API server: the informer retries in the background.
  informer.start().catch((e: unknown) => {
    o.log("warn", "NodeState watch could not start; retrying", { error: String((e as Error)?.message ?? e) });
    restart();
  });
  return async () => {
    stopped = true;
    await informer.stop();
  };
}
