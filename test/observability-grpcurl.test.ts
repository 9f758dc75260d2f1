// Every gRPC service with the real grpcurl: list (server reflection), describe, and a call with -d.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../lib/local-stack/repo-root.js";
import { startTestStack, type TestStack } from "../lib/local-stack/testing/stack-fixture.js";
import { toolGate } from "../lib/local-stack/testing/tool-gate.js";

const ROOT = repoRoot();
const gate = toolGate(["grpcurl"], ROOT);
if (gate.mustFail) {
  describe("grpcurl", () => it("is installed (CI must build it: scripts/install-tools.sh grpcurl)", () => expect.fail(gate.missing)));
}

function grpcurl(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(gate.paths.grpcurl!, ["-plaintext", "-max-time", "10", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await grpcurl(args);
  expect(r.code, `grpcurl ${args.join(" ")}: ${r.err}`).toBe(0);
  return r.out;
}

describe.skipIf(gate.missing !== undefined)(`gRPC services through the real grpcurl${gate.missing ? ` [SKIPPED: ${gate.missing}]` : ""}`, () => {
  let stack: TestStack;
  let addr: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    addr = { regime: `127.0.0.1:${stack.svc.ports.regimeGrpc}`, scorer: stack.svc.scorerAddress, agent: stack.agent.grpc };
  }, 90_000);
  afterAll(async () => stack?.stop(), 30_000);

  it.each([
    ["regime", "overseer.v1.RegimeService"],
    ["scorer", "overseer.v1.ScorerService"],
    ["agent", "overseer.v1.AgentService"],
  ])("%s: list shows its service, health and reflection", async (which, service) => {
    const names = (await ok([addr[which]!, "list"])).trim().split("\n");
    expect(names).toContain(service);
    expect(names).toContain("grpc.health.v1.Health");
  });

  it.each([
    ["regime", "overseer.v1.RegimeService", ["Classify", "GetModelInfo"]],
    ["scorer", "overseer.v1.ScorerService", ["IngestNodeStates", "ScoreNodes", "FilterNodes", "ExplainScores", "ReportPlacement", "ListNodeStates", "GetNodeState"]],
    ["agent", "overseer.v1.AgentService", ["GetCurrentState", "GetCapabilities"]],
  ] as const)("%s: describe lists every method", async (which, service, methods) => {
    const text = await ok([addr[which]!, "describe", service]);
    expect(text).toContain(`${service} is a service`);
    for (const m of methods) expect(text).toMatch(new RegExp(`rpc ${m} \\(`));
    const msg = await ok([addr[which]!, "describe", "overseer.v1.NodeState"]);
    expect(msg).toContain("message NodeState");
  });

  it("regime-svc: GetModelInfo with -d answers the loaded bundle", async () => {
    const res = JSON.parse(await ok(["-d", "{}", addr.regime!, "overseer.v1.RegimeService/GetModelInfo"])) as { model?: { version?: string } };
    expect(res.model?.version).toMatch(/\S/);
  });

  it("regime-svc: Classify with -d and a wrong schema version is INVALID_ARGUMENT", async () => {
    const r = await grpcurl(["-d", '{"vectors":[{"schemaVersion":999}]}', addr.regime!, "overseer.v1.RegimeService/Classify"]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/InvalidArgument/);
  });

  it("agent: GetCapabilities with -d names the simulator source", async () => {
    const res = JSON.parse(await ok(["-d", "{}", addr.agent!, "overseer.v1.AgentService/GetCapabilities"])) as { source?: string; pmu?: { microarchitecture?: string } };
    expect(res.source).toBe("COUNTER_SOURCE_SIMULATOR");
    expect(res.pmu?.microarchitecture).toBe("sapphirerapids");
  });

  it("scorer-svc: ListNodeStates with -d shows the agent's node; ScoreNodes with -d scores it", async () => {
    let nodes: { state?: { nodeName?: string } }[] = [];
    for (let i = 0; i < 40 && nodes.length === 0; i++) {
      nodes = (JSON.parse(await ok(["-d", '{"fresh_only": false}', addr.scorer!, "overseer.v1.ScorerService/ListNodeStates"])) as { nodes?: typeof nodes }).nodes ?? [];
      if (nodes.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(nodes.map((n) => n.state?.nodeName)).toContain(stack.agent.nodeName);
    const scored = JSON.parse(
      await ok(["-d", JSON.stringify({ workload: { pod_name: "p", pod_namespace: "cnf", workload_class: "upf-64b" }, node_names: [stack.agent.nodeName] }), addr.scorer!, "overseer.v1.ScorerService/ScoreNodes"]),
    ) as { scores?: { nodeName?: string; score?: number }[]; modelVersion?: string };
    expect(scored.scores?.[0]?.nodeName).toBe(stack.agent.nodeName);
    expect(scored.modelVersion).toMatch(/\S/);
  });

  it("health: grpc.health.v1.Health/Check with -d reports SERVING", async () => {
    const res = JSON.parse(await ok(["-d", '{"service":"overseer.v1.ScorerService"}', addr.scorer!, "grpc.health.v1.Health/Check"])) as { status?: string };
    expect(res.status).toBe("SERVING");
  });
});
