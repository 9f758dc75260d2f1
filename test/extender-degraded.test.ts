// scorer-svc slow, killed mid-stream, down, back: every answer still arrives (degraded, within the
// deadline), the circuit opens instead of paying the deadline per pod, and closes again.
import { afterEach, describe, expect, it } from "vitest";
import { metricValue, namesRequest, nodesRequest, post, startFakeScorer, startTestExtender, type FakeScorer, type TestExtender } from "./extender-fixtures.js";

const NODES = ["node-a", "node-b", "node-c"];
/** Generous slack over the configured deadline: asserts "bounded by the deadline", not speed. */
const SLACK_MS = 1500;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(argv: string[], now?: () => number): Promise<{ scorer: FakeScorer; ext: TestExtender }> {
  const scorer = await startFakeScorer();
  const ext = await startTestExtender(scorer.address, argv, now ? { now } : {});
  cleanups.push(() => scorer.kill(), () => ext.close());
  return { scorer, ext };
}

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t0 };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const equalScores = NODES.map((Host) => ({ Host, Score: 0 }));

describe("scorer-svc slow (no answer)", () => {
  it("prioritize answers equal scores and filter passes every node, bounded by --scorer-deadline", async () => {
    const { scorer, ext } = await setup(["--scorer-deadline", "300ms", "--breaker-failures", "10"]);
    scorer.mode = "hang";
    const p = await timed(post(`${ext.base}/prioritize`, namesRequest(NODES)));
    expect(p.value.status).toBe(200);
    expect(p.value.json).toEqual(equalScores);
    expect(p.ms).toBeLessThan(300 + SLACK_MS);

    const f = await timed(post(`${ext.base}/filter`, nodesRequest(NODES)));
    expect(f.value.status).toBe(200);
    const body = f.value.json as { Nodes: { items: { metadata: { name: string } }[] }; FailedNodes: object; Error: string };
    expect(body.Nodes.items.map((n) => n.metadata.name)).toEqual(NODES);
    expect(body.FailedNodes).toEqual({});
    expect(body.Error).toBe("");
    expect(f.ms).toBeLessThan(300 + SLACK_MS);

    expect(await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "prioritize", reason: "deadline" })).toBe(1);
    expect(await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "filter", reason: "deadline" })).toBe(1);
    expect(await metricValue(ext.registry, "overseer_extender_decisions_total", { verb: "prioritize", outcome: "degraded" })).toBe(1);
    expect(ext.logger.lines.some((l) => l.level === "warn" && l.msg.includes("every node passes the filter") && l.fields.reason === "deadline")).toBe(true);
  });
});

describe("scorer-svc killed mid-stream", () => {
  it("every in-flight call is still answered (degraded) within the deadline", async () => {
    const deadlineMs = 2000;
    const { scorer, ext } = await setup(["--scorer-deadline", `${deadlineMs}ms`, "--breaker-failures", "100"]);
    scorer.mode = "hang";
    const t0 = performance.now();
    const inflight = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0 ? post(`${ext.base}/prioritize`, namesRequest(NODES)) : post(`${ext.base}/filter`, namesRequest(NODES)),
    );
    await until(() => scorer.scoreCalls.length + scorer.filterCalls.length === 12, "all calls to reach the scorer");
    scorer.kill();
    const replies = await Promise.all(inflight);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(deadlineMs + SLACK_MS);
    replies.forEach((r, i) => {
      expect(r.status).toBe(200);
      if (i % 2 === 0) expect(r.json).toEqual(equalScores);
      else expect((r.json as { NodeNames: string[] }).NodeNames).toEqual(NODES);
    });
    const degraded =
      ((await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "prioritize", reason: "backend_error" })) ?? 0) +
      ((await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "filter", reason: "backend_error" })) ?? 0);
    expect(degraded).toBe(12);
  });
});

describe("circuit breaker", () => {
  it("opens after N failures (no more calls), then a half-open probe closes it once scorer-svc is back", async () => {
    let clock = 0;
    const { scorer, ext } = await setup(["--breaker-failures", "2", "--breaker-cooldown", "10s"], () => clock);
    const port = scorer.port;
    scorer.kill();

    for (let i = 0; i < 2; i++) expect((await post(`${ext.base}/prioritize`, namesRequest(NODES))).json).toEqual(equalScores);
    expect(ext.breaker.state).toBe("open");
    expect(await metricValue(ext.registry, "overseer_extender_circuit_state")).toBe(2);
    const backendCalls = () => metricValue(ext.registry, "overseer_extender_backend_call_duration_seconds_count", { method: "ScoreNodes" });
    expect(await backendCalls()).toBe(2);

    const open = await timed(post(`${ext.base}/prioritize`, namesRequest(NODES)));
    expect(open.value.json).toEqual(equalScores);
    expect(await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "prioritize", reason: "circuit_open" })).toBe(1);
    expect(await backendCalls()).toBe(2);

    // scorer-svc comes back on the same port; after the cool-down one probe goes through.
    const revived = await startFakeScorer(port);
    cleanups.push(() => revived.kill());
    clock += 10_000;
    let answer: unknown;
    expect(ext.breaker.state).toBe("half-open");
    for (let attempt = 0; attempt < 20; attempt++) {
      answer = (await post(`${ext.base}/prioritize`, namesRequest(NODES))).json;
      if (ext.breaker.state === "closed") break;
      clock += 10_000; // the channel was still reconnecting: the probe failed and re-opened; try again
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ext.breaker.state).toBe("closed");
    expect(answer).toEqual([
      { Host: "node-a", Score: 9 },
      { Host: "node-b", Score: 2 },
      { Host: "node-c", Score: 6 },
    ]);
    expect(await metricValue(ext.registry, "overseer_extender_circuit_state")).toBe(0);
  });

  it("a scorer that refuses the request (INVALID_ARGUMENT) degrades the answer but does not open the circuit", async () => {
    const { scorer, ext } = await setup(["--breaker-failures", "2"]);
    scorer.mode = "invalid-argument";
    for (let i = 0; i < 4; i++) expect((await post(`${ext.base}/prioritize`, namesRequest(NODES))).json).toEqual(equalScores);
    expect(ext.breaker.state).toBe("closed");
    expect(await metricValue(ext.registry, "overseer_extender_degraded_total", { verb: "prioritize", reason: "backend_rejected" })).toBe(4);
  });
});

describe("--on-backend-error=error", () => {
  it("answers 503 with the reason so kube-scheduler's `ignorable` decides; non-CNF pods are unaffected", async () => {
    const { scorer, ext } = await setup(["--on-backend-error", "error"]);
    scorer.mode = "unavailable";
    for (const verb of ["filter", "prioritize"]) {
      const r = await post(`${ext.base}/${verb}`, namesRequest(NODES));
      expect(r.status).toBe(503);
      expect((r.json as { Error: string }).Error).toMatch(/scorer-svc unusable \(backend_error\)/);
      expect(await metricValue(ext.registry, "overseer_extender_decisions_total", { verb, outcome: "error" })).toBe(1);
    }
    const plain = { metadata: { name: "web-0", namespace: "default" } };
    expect((await post(`${ext.base}/prioritize`, namesRequest(NODES, plain))).status).toBe(200);
  });
});
