// The agent process writing its NodeState custom resource through --kubeconfig, against the
// in-process fake of the API server's HTTP shapes (the real kube-apiserver test is the k8s e2e).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeApiServer, kubeconfigYaml } from "./agent-fake-apiserver.js";
import { spawnAgent, waitUntil } from "./agent-helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("agent --kubeconfig (NodeState custom resource)", () => {
  it("creates the node's object, keeps its status current, survives a conflict and an API error, keeps the regime", async () => {
    const api = await fakeApiServer();
    cleanups.push(api.close);
    const dir = mkdtempSync(join(tmpdir(), "agent-kube-"));
    const kc = join(dir, "kubeconfig");
    writeFileSync(kc, kubeconfigYaml(api.port));
    const agent = spawnAgent(["--source", "sim", "--interval", "100ms", "--node-name", "worker-1", "--kubeconfig", kc, "--scorer", "", "--listen", "", "--metrics-listen", ""]);
    cleanups.push(() => agent.stop("SIGKILL"));
    const seq = () => Number(api.objects.get("worker-1")?.status?.sequence ?? 0);
    await waitUntil(() => seq() >= 2, 20_000, "the NodeState object with a status");
    const o = api.objects.get("worker-1")!;
    expect(o.spec).toEqual({ nodeName: "worker-1" });
    expect(o.status).toMatchObject({ nodeName: "worker-1", source: "COUNTER_SOURCE_SIMULATOR", regime: "" });
    expect(typeof o.status!.missingEventCount).toBe("number");
    // scorer-svc classifies: the agent must keep regime fields on its next writes.
    api.bump("worker-1", { status: { ...o.status, regime: "REGIME_QUIET", regimeModelVersion: "m1" } });
    api.inject.push({ method: "PUT", code: 409 }, { method: "GET", code: 500 });
    const before = seq();
    await waitUntil(() => seq() >= before + 3, 20_000, "status updates after the conflict and the error");
    expect(api.objects.get("worker-1")!.status).toMatchObject({ regime: "REGIME_QUIET", regimeModelVersion: "m1" });
    expect(agent.logs.some((l) => l.msg === "NodeState write retried")).toBe(true);
    expect(await agent.stop("SIGTERM")).toBe(0);
  }, 60_000);
});
