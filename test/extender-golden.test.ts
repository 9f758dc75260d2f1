// Golden requests in the shape kube-scheduler sends, in both node-cache modes, against the real
// HTTP server and a real grpc-js ScorerService (fake implementation); answers checked field by field.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CNF_ANNOTATIONS,
  GOLDEN_FILTERED,
  goldenNode,
  goldenPod,
  metricValue,
  namesRequest,
  nodesRequest,
  post,
  startFakeScorer,
  startTestExtender,
  type FakeScorer,
  type TestExtender,
} from "./extender-fixtures.js";

const NODES = ["node-a", "node-b", "node-c"];
let scorer: FakeScorer;
let ext: TestExtender;

beforeAll(async () => {
  scorer = await startFakeScorer();
  ext = await startTestExtender(scorer.address);
});
afterAll(async () => {
  await ext.close();
  scorer.kill();
});
beforeEach(() => {
  scorer.scoreCalls.length = 0;
  scorer.filterCalls.length = 0;
  scorer.mode = "ok";
});

describe("nodeCacheCapable: true (NodeNames in, NodeNames out)", () => {
  it("prioritize answers HostPriorityList with the scorer's scores, in request order", async () => {
    const r = await post(`${ext.base}/prioritize`, namesRequest(NODES));
    expect(r.status).toBe(200);
    expect(r.contentType).toBe("application/json");
    expect(r.text).toBe('[{"Host":"node-a","Score":9},{"Host":"node-b","Score":2},{"Host":"node-c","Score":6}]');
  });

  it("prioritize sends the workload from the pod's annotations to scorer-svc", async () => {
    await post(`${ext.base}/prioritize`, namesRequest(NODES));
    expect(scorer.scoreCalls).toHaveLength(1);
    const call = scorer.scoreCalls[0]!;
    expect(call.nodeNames).toEqual(NODES);
    expect(call.workload).toMatchObject({
      podNamespace: "ran",
      podName: "upf-7d9c5b-x2k4q",
      podUid: "5f1c8a8e-2b7d-4c39-9a53-0c6b1d2e3f40",
      workloadClass: "upf",
      maxSlowdown: 1.25,
    });
    expect(call.workload!.soloProfile).toMatchObject({ cores: 4, instructionsPerSec: 1.2e10, llcWorkingSetBytes: 2.5e7, tmaMemoryBoundFraction: 0.35 });
  });

  it("filter answers ExtenderFilterResult with NodeNames and FailedNodes", async () => {
    const r = await post(`${ext.base}/filter`, namesRequest(NODES));
    expect(r.status).toBe(200);
    const body = r.json as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["Error", "FailedAndUnresolvableNodes", "FailedNodes", "NodeNames", "Nodes"]);
    expect(body.Nodes).toBeNull();
    expect(body.NodeNames).toEqual(["node-a", "node-c"]);
    expect(body.FailedNodes).toEqual({ "node-b": GOLDEN_FILTERED["node-b"] });
    expect(body.FailedAndUnresolvableNodes).toEqual({});
    expect(body.Error).toBe("");
    expect(scorer.filterCalls[0]!.workload!.maxSlowdown).toBe(1.25);
  });
});

describe("nodeCacheCapable: false (Nodes.items in, Nodes out)", () => {
  it("prioritize answers by node name", async () => {
    const r = await post(`${ext.base}/prioritize`, nodesRequest(NODES));
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      { Host: "node-a", Score: 9 },
      { Host: "node-b", Score: 2 },
      { Host: "node-c", Score: 6 },
    ]);
    expect(scorer.scoreCalls[0]!.nodeNames).toEqual(NODES);
  });

  it("filter answers Nodes with the feasible Node objects exactly as received, NodeNames null", async () => {
    const r = await post(`${ext.base}/filter`, nodesRequest(NODES));
    expect(r.status).toBe(200);
    const body = r.json as { Nodes: { items: unknown[] }; NodeNames: unknown; FailedNodes: unknown; Error: string };
    expect(body.NodeNames).toBeNull();
    expect(body.Nodes.items).toEqual([goldenNode("node-a"), goldenNode("node-c")]);
    expect(body.FailedNodes).toEqual({ "node-b": GOLDEN_FILTERED["node-b"] });
    expect(body.Error).toBe("");
  });
});

describe("pods that are not CNFs pass through without calling scorer-svc", () => {
  const plain = goldenPod({}, { app: "web" });

  it("prioritize: equal scores for every node", async () => {
    const r = await post(`${ext.base}/prioritize`, namesRequest(NODES, plain));
    expect(r.json).toEqual(NODES.map((Host) => ({ Host, Score: 0 })));
    expect(scorer.scoreCalls).toHaveLength(0);
  });

  it("filter: every node feasible (both modes)", async () => {
    const a = await post(`${ext.base}/filter`, namesRequest(NODES, plain));
    expect((a.json as { NodeNames: string[] }).NodeNames).toEqual(NODES);
    const b = await post(`${ext.base}/filter`, nodesRequest(NODES, plain));
    expect((b.json as { Nodes: { items: unknown[] } }).Nodes.items).toEqual(NODES.map(goldenNode));
    expect(scorer.filterCalls).toHaveLength(0);
    expect(await metricValue(ext.registry, "overseer_extender_decisions_total", { verb: "filter", outcome: "passthrough" })).toBeGreaterThanOrEqual(2);
  });

  it("a CNF without a slowdown limit is not filtered and scorer-svc is not asked", async () => {
    const pod = goldenPod({ "overseer.io/workload-class": "upf" });
    const r = await post(`${ext.base}/filter`, namesRequest(NODES, pod));
    expect((r.json as { NodeNames: string[] }).NodeNames).toEqual(NODES);
    expect(scorer.filterCalls).toHaveLength(0);
  });

  it("label overseer.io/cnf=true without a class is scored (unknown class)", async () => {
    await post(`${ext.base}/prioritize`, namesRequest(NODES, goldenPod({}, { "overseer.io/cnf": "true" })));
    expect(scorer.scoreCalls[0]!.workload!.workloadClass).toBe("");
  });
});

describe("invalid annotation values are ignored with a log, never a failed request", () => {
  it("bad max-slowdown and solo-profile: scored without them, problem logged and counted", async () => {
    const pod = goldenPod({ "overseer.io/workload-class": "upf", "overseer.io/max-slowdown": "fast", "overseer.io/solo-profile": "{nope" });
    const r = await post(`${ext.base}/prioritize`, namesRequest(NODES, pod));
    expect(r.status).toBe(200);
    const w = scorer.scoreCalls[0]!.workload!;
    expect(w.maxSlowdown).toBe(0);
    expect(w.soloProfile).toBeUndefined();
    expect(ext.logger.lines.some((l) => l.msg === "ignored invalid pod annotation" && l.fields.key === "overseer.io/max-slowdown")).toBe(true);
    expect(await metricValue(ext.registry, "overseer_extender_annotation_problems_total", { annotation: "overseer.io/solo-profile" })).toBe(1);
  });
});

describe("the service endpoints", () => {
  it("GET /healthz is 200", async () => {
    const res = await fetch(`${ext.server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  it("GET /metrics exposes latency by verb, decisions, degraded answers and the circuit state", async () => {
    await post(`${ext.base}/prioritize`, namesRequest(NODES));
    const res = await fetch(`${ext.server.url}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/overseer_extender_request_duration_seconds_bucket\{le="0.005",verb="prioritize",code="200"\}/);
    expect(text).toContain('overseer_extender_decisions_total{verb="prioritize",outcome="scored"}');
    expect(text).toContain("# TYPE overseer_extender_degraded_total counter");
    expect(text).toContain("overseer_extender_circuit_state 0");
  });

  it("a custom --path-prefix moves the verbs", async () => {
    const other = await startTestExtender(scorer.address, ["--path-prefix", "sched/ext/"]);
    try {
      expect(other.base.endsWith("/sched/ext")).toBe(true);
      const r = await post(`${other.server.url}/sched/ext/prioritize`, namesRequest(["node-a"]));
      expect(r.json).toEqual([{ Host: "node-a", Score: 9 }]);
      expect((await post(`${other.server.url}/overseer/prioritize`, namesRequest(["node-a"]))).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe("HTTPS (--tls-cert/--tls-key, for enableHTTPS: true)", () => {
  it("serves the verbs over TLS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "overseer-ext-tls-"));
    try {
      const cert = join(dir, "cert.pem");
      const key = join(dir, "key.pem");
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
      const tlsExt = await startTestExtender(scorer.address, ["--tls-cert", cert, "--tls-key", key]);
      try {
        expect(tlsExt.server.url.startsWith("https://")).toBe(true);
        const body = JSON.stringify(namesRequest(["node-a", "node-c"]));
        const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = https.request(
            `${tlsExt.base}/prioritize`,
            { method: "POST", ca: readFileSync(cert), headers: { "content-type": "application/json" } },
            (res) => {
              let text = "";
              res.setEncoding("utf8");
              res.on("data", (c: string) => (text += c));
              res.on("end", () => resolve({ status: res.statusCode!, text }));
            },
          );
          req.on("error", reject);
          req.end(body);
        });
        expect(reply.status).toBe(200);
        expect(JSON.parse(reply.text)).toEqual([
          { Host: "node-a", Score: 9 },
          { Host: "node-c", Score: 6 },
        ]);
      } finally {
        await tlsExt.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it("CNF annotations used by the fixtures are the documented names", () => {
  expect(Object.keys(CNF_ANNOTATIONS)).toEqual(["overseer.io/workload-class", "overseer.io/max-slowdown", "overseer.io/solo-profile"]);
});
