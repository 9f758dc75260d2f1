// scorer-svc in cluster mode against a real kube-apiserver + etcd (the k8s e2e harness): NodeState
// custom resources feed the store, and the classified regime is merge-patched into their status
// with the scorer's own RBAC (deploy/rbac-scorer.yaml). Skipped when the binaries are not built
// (bash test/k8s/build.sh).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeState } from "../gen/overseer/v1/node_state.js";
import { startRegimeService, type RunningRegimeService } from "../lib/regime/regime-server.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { startNodeStateWatch } from "../lib/scorer/nodestate-watch.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { binariesPresent, repoRoot, startControlPlane, type ControlPlane } from "./k8s/cluster.js";
import { kubectlOk } from "./k8s/kubectl.js";
import { regimeConfig, scorerConfig, waitFor } from "../lib/scorer/testing/service-configs.js";
import { regimeToJSON } from "../gen/overseer/v1/regime.js";

const SCORER_USER = "system:serviceaccount:overseer-system:overseer-scorer";

describe.skipIf(!binariesPresent())("scorer-svc cluster mode (real kube-apiserver)", () => {
  let dir: string;
  let cp: ControlPlane;
  let admin: string;
  let regime: RunningRegimeService;
  let scorer: RunningScorerService;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "overseer-scorer-k8s-"));
    cp = await startControlPlane({ dir, extraIdentities: [{ user: SCORER_USER, groups: ["system:serviceaccounts", "system:serviceaccounts:overseer-system"] }] });
    admin = cp.kubeconfig(cp.admin);
    for (const f of ["namespace.yaml", "crd-nodestate.yaml", "rbac-scorer.yaml"]) await kubectlOk(admin, ["apply", "-f", join(repoRoot(), "deploy", f)]);
    await kubectlOk(admin, ["wait", "--for=condition=Established", "crd/nodestates.overseer.io", "--timeout=60s"]);
    for (const n of ["node-a", "node-b"]) {
      const obj = { apiVersion: "overseer.io/v1alpha1", kind: "NodeState", metadata: { name: n }, spec: { nodeName: n } };
      const file = join(dir, `${n}.json`);
      writeFileSync(file, JSON.stringify(obj));
      await kubectlOk(admin, ["create", "-f", file]);
      const s = nodeState(n, { sequence: 3 });
      const status = { state: NodeState.toJSON(s), nodeName: n, agentId: "a", sequence: 3, observedAt: s.observedAt!.toISOString(), missingEventCount: 0, source: "COUNTER_SOURCE_SIMULATOR", regime: "", regimeModelVersion: "" };
      await kubectlOk(admin, ["patch", "nodestate", n, "--subresource=status", "--type=merge", "-p", JSON.stringify({ status })]);
    }
    const { makeBundleDir } = await import("../lib/bundle/testing/fixture-dir.js");
    const bundle = await makeBundleDir({ synthetic: true });
    regime = await startRegimeService(regimeConfig(bundle.dir));
    const scorerKubeconfig = cp.kubeconfig(cp.extra.get(SCORER_USER)!);
    scorer = await startScorerService({
      ...scorerConfig(bundle.dir, `127.0.0.1:${regime.grpcPort}`),
      freshness: 600_000,
      startWatch: (store, onAccepted, metrics, onClassified) =>
        startNodeStateWatch({ kubeconfig: scorerKubeconfig, inCluster: false, store, onAccepted, metrics, log: () => {}, onClassified, restartDelayMs: 500 }),
    });
  }, 180_000);

  afterAll(async () => {
    await scorer?.stop();
    await regime?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("fills the store from NodeState objects and writes the regime back into their status", async () => {
    await waitFor(() => scorer.store.size === 2, "both NodeStates in the store");
    expect(scorer.store.get("node-a")!.sequence).toBe(3);
    let shown = "";
    for (let i = 0; i < 100 && !/REGIME_[A-Z_]+ REGIME_[A-Z_]+/.test(shown); i++) {
      shown = await kubectlOk(admin, ["get", "nst", "node-a", "node-b", "-o", "jsonpath={.items[*].status.regime}"]);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(shown).toMatch(/^REGIME_[A-Z_]+ REGIME_[A-Z_]+$/);
    expect(shown.split(" ")[0]).toBe(regimeToJSON(scorer.store.get("node-a")!.regime!.regime));
    const version = await kubectlOk(admin, ["get", "nst", "node-a", "-o", "jsonpath={.status.regimeModelVersion}"]);
    expect(version).toBe("v1-testfixture-1");
  });

  it("a deleted NodeState leaves the store", async () => {
    await kubectlOk(admin, ["delete", "nst", "node-b"]);
    await waitFor(() => scorer.store.get("node-b") === undefined, "node-b removed");
    expect(scorer.store.get("node-a")).toBeDefined();
  });
});
