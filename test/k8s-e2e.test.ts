// Kubernetes end to end against a real etcd + kube-apiserver (+ kube-scheduler in the placement
// part), run as plain processes on 127.0.0.1 with fake Nodes and no kubelet.
// Needs the binaries from `bash test/k8s/build.sh`; runs only with OVERSEER_E2E=1 (`make e2e`).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binariesPresent, binDir, repoRoot, startControlPlane, type ControlPlane, type Identity } from "./k8s/cluster.js";
import { NODESTATES, nodeObject, nodeStateObject, nodeStateStatus, podObject } from "./k8s/fixtures.js";
import { kubeOk, kubeRequest } from "./k8s/kube-http.js";
import { kubectl, kubectlOk } from "./k8s/kubectl.js";
import { waitFor } from "./k8s/processes.js";

const E2E = process.env.OVERSEER_E2E === "1";
const DEPLOY = join(repoRoot(), "deploy");
const NODES = ["spr-quiet-1", "spr-quiet-2", "spr-noisy-1", "spr-noisy-2", "vm-1"];

if (!E2E) {
  describe("kubernetes e2e", () => {
    it.skip("skipped: needs OVERSEER_E2E=1 and the binaries of `bash test/k8s/build.sh` (run `make e2e`)", () => {});
  });
}

describe.runIf(E2E)("kubernetes e2e: control plane, CRD, RBAC, admission policy", () => {
  let cp: ControlPlane;
  let dir: string;
  let adminKc: string;

  const as = (id: Identity, method: string, path: string, body?: unknown, contentType?: string) => kubeRequest(cp, id.token, method, path, body, contentType);
  const agent = (node: string) => cp.agents.get(node)!;

  beforeAll(async () => {
    if (!binariesPresent()) throw new Error(`kube-apiserver/kube-scheduler missing in ${binDir()}: run bash test/k8s/build.sh`);
    dir = mkdtempSync(join(tmpdir(), "overseer-k8s-e2e-"));
    cp = await startControlPlane({ dir, agentNodes: NODES });
    adminKc = cp.kubeconfig(cp.admin);
    for (const f of ["namespace.yaml", "crd-nodestate.yaml", "rbac-agent.yaml", "rbac-scorer.yaml", "admission-policy-agent-own-node.yaml"]) {
      await kubectlOk(adminKc, ["apply", "-f", join(DEPLOY, f)]);
    }
    await kubectlOk(adminKc, ["wait", "--for=condition=Established", "--timeout=60s", "crd/nodestates.overseer.io"]);
    for (const name of NODES) await kubeOk(cp, cp.admin.token, "POST", "/api/v1/nodes", nodeObject({ name, cpu: "64", memory: "256Gi" }));
    // The policy is enforced once the API server has loaded and type-checked it: probe with a dry run.
    await waitFor(
      "admission policy active",
      async () => (await as(agent(NODES[0]!), "POST", `${NODESTATES}?dryRun=All`, nodeStateObject(NODES[1]!))).status === 403,
      30_000,
      cp.apiserver,
    );
  }, 240_000);

  afterAll(async () => {
    await cp?.stop();
    if (dir && !process.env.OVERSEER_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the NodeState CRD with its printer columns and name == spec.nodeName rule", async () => {
    const node = NODES[0]!;
    expect((await as(cp.admin, "POST", NODESTATES, nodeStateObject("not-a-node", node))).status).toBe(422);
    expect((await as(agent(node), "POST", NODESTATES, nodeStateObject(node))).status).toBe(201);
    const current = (await as(agent(node), "GET", `${NODESTATES}/${node}`)).json;
    const put = await as(agent(node), "PUT", `${NODESTATES}/${node}/status`, { ...current, status: nodeStateStatus(node, 1) });
    expect(put.status, put.body).toBe(200);
    const table = await kubectlOk(adminKc, ["get", "nst", node]);
    expect(table).toMatch(/NAME\s+REGIME\s+MISSING\s+OBSERVED\s+AGE/);
    expect(table).toContain(node);
    // spec.nodeName is immutable.
    const again = (await as(cp.admin, "GET", `${NODESTATES}/${node}`)).json;
    expect((await as(cp.admin, "PUT", `${NODESTATES}/${node}`, { ...again, spec: { nodeName: NODES[1] } })).status).toBe(422);
  });

  it("kubectl apply --dry-run=server accepts every Kubernetes manifest in deploy/ (kustomization)", async () => {
    const kustomization = readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8");
    // Every manifest and config file in deploy/ is part of the kustomization, so none is left untested.
    for (const f of readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")) {
      expect(kustomization, `${f} is not referenced by deploy/kustomization.yaml`).toContain(f);
    }
    const out = await kubectlOk(adminKc, ["apply", "--dry-run=server", "-k", DEPLOY], 120_000);
    expect(out).toMatch(/daemonset\.apps\/overseer-agent .*\(server dry run\)/);
    expect(out).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/nodestates\.overseer\.io .*\(server dry run\)/);
  });

  it("agent RBAC: own NodeState get/create/update and status update; nothing else", async () => {
    const node = NODES[2]!;
    const id = agent(node);
    expect((await as(id, "POST", NODESTATES, nodeStateObject(node))).status).toBe(201);
    const obj = (await as(id, "GET", `${NODESTATES}/${node}`)).json;
    expect((await as(id, "PUT", `${NODESTATES}/${node}/status`, { ...obj, status: nodeStateStatus(node, 7) })).status).toBe(200);
    const forbidden: [string, string, unknown?, string?][] = [
      ["GET", NODESTATES], // list
      ["GET", `${NODESTATES}?watch=true`],
      ["DELETE", `${NODESTATES}/${node}`],
      ["PATCH", `${NODESTATES}/${node}/status`, { status: { regime: "REGIME_QUIET" } }, "application/merge-patch+json"],
      ["GET", "/api/v1/pods"],
      ["GET", "/api/v1/namespaces/overseer-system/secrets"],
      ["GET", "/api/v1/nodes"],
      ["PATCH", `/api/v1/nodes/${node}`, { metadata: { labels: { x: "y" } } }, "application/merge-patch+json"],
      ["POST", "/api/v1/nodes", nodeObject({ name: "rogue", cpu: "1", memory: "1Gi" })],
      ["POST", "/api/v1/namespaces/default/pods", podObject({ name: "rogue", namespace: "default" })],
    ];
    for (const [method, path, body, ct] of forbidden) {
      const r = await as(id, method, path, body, ct);
      expect(r.status, `${method} ${path}: ${r.body.slice(0, 200)}`).toBe(403);
      expect(r.json?.message ?? "").toContain(`User "overseer-agent:${node}" cannot`);
    }
  });

  it("admission policy: an agent identity cannot create or update another node's NodeState", async () => {
    const [mine, other] = [NODES[3]!, NODES[4]!];
    const id = agent(mine);
    const create = await as(id, "POST", NODESTATES, nodeStateObject(other));
    expect(create.status).toBe(403);
    expect(create.json.message).toContain(`OverSeer agent of node '${mine}' may not write NodeState '${other}'`);
    // The object exists (made by an admin): replacing its status is refused all the same.
    await kubeOk(cp, cp.admin.token, "POST", NODESTATES, nodeStateObject(other));
    const theirs = (await as(id, "GET", `${NODESTATES}/${other}`)).json;
    const put = await as(id, "PUT", `${NODESTATES}/${other}/status`, { ...theirs, status: nodeStateStatus(other, 1) });
    expect(put.status).toBe(403);
    expect(put.json.message).toContain("may not write NodeState");
    // Its own object still works.
    expect((await as(id, "POST", NODESTATES, nodeStateObject(mine))).status).toBe(201);
  });

  it("admission policy, in-cluster path: a pod-bound service-account token writes only its pod's node", async () => {
    const node = NODES[0]!;
    const pod = await kubeOk(
      cp,
      cp.admin.token,
      "POST",
      "/api/v1/namespaces/overseer-system/pods",
      podObject({ name: "agent-e2e", namespace: "overseer-system", nodeName: node, serviceAccountName: "overseer-agent" }),
    );
    const tokenPath = "/api/v1/namespaces/overseer-system/serviceaccounts/overseer-agent/token";
    const bound = await kubeOk(cp, cp.admin.token, "POST", tokenPath, {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600, boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, uid: pod.metadata.uid } },
    });
    const saId: Identity = { user: "system:serviceaccount:overseer-system:overseer-agent", token: bound.status.token, groups: [] };
    const review = await kubeOk(cp, saId.token, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    expect(review.status.userInfo.extra["authentication.kubernetes.io/node-name"]).toEqual([node]);

    const own = (await as(saId, "GET", `${NODESTATES}/${node}`)).json;
    expect((await as(saId, "PUT", `${NODESTATES}/${node}/status`, { ...own, status: nodeStateStatus(node, 9) })).status).toBe(200);
    const other = NODES[4]!;
    const theirs = (await as(saId, "GET", `${NODESTATES}/${other}`)).json;
    const denied = await as(saId, "PUT", `${NODESTATES}/${other}/status`, { ...theirs, status: nodeStateStatus(other, 2) });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toContain(`OverSeer agent of node '${node}' may not write NodeState '${other}'`);

    // A token of the same service account not bound to a pod carries no node: refused.
    const unbound = await kubeOk(cp, cp.admin.token, "POST", tokenPath, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } });
    const fresh = (await as(saId, "GET", `${NODESTATES}/${node}`)).json;
    const noNode = await as({ ...saId, token: unbound.status.token }, "PUT", `${NODESTATES}/${node}/status`, { ...fresh, status: nodeStateStatus(node, 10) });
    expect(noNode.status).toBe(403);
    expect(noNode.json.message).toContain("carries no node name");
  });

  it("kubectl as an agent identity: the policy's refusal reaches the user", async () => {
    const [mine, other] = [NODES[1]!, NODES[3]!];
    const file = join(dir, "other-nodestate.json");
    writeFileSync(file, JSON.stringify(nodeStateObject(`${other}`)));
    await kubectlOk(adminKc, ["delete", "nst", other, "--ignore-not-found"]);
    const r = await kubectl(cp.kubeconfig(agent(mine)), ["create", "-f", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ValidatingAdmissionPolicy 'overseer-agent-own-nodestate'");
    expect(r.stderr).toContain(`may not write NodeState '${other}'`);
  });
});
