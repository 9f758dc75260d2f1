// The built extender under the project's telemetry preload (node --import preload.js): one trace
// holds kube-scheduler's parent, the HTTP server span, the decision span and the gRPC client
// call to scorer-svc. Needs `tsc` output in dist/ (make test builds first).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startOtlpJsonReceiver, type OtlpJsonReceiver } from "../lib/telemetry/testing/otlp-json-receiver.js";
import { namesRequest, post, startFakeScorer, type FakeScorer } from "./extender-fixtures.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const PRELOAD = path.join(ROOT, "dist/lib/telemetry/preload.js");
const MAIN = path.join(ROOT, "dist/cmd/extender/main.js");
const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const PARENT = "b7ad6b7169203331";

let receiver: OtlpJsonReceiver;
let scorer: FakeScorer;
let child: ChildProcess;
let base = "";
let log = "";

beforeAll(async () => {
  if (!existsSync(PRELOAD) || !existsSync(MAIN)) throw new Error(`${MAIN} or ${PRELOAD} missing: build first (make build / npx tsc -p .)`);
  receiver = await startOtlpJsonReceiver();
  scorer = await startFakeScorer();
  child = spawn(process.execPath, ["--import", PRELOAD, MAIN, "--listen", "127.0.0.1:0", "--scorer-address", scorer.address], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 300 && !/"msg":"listening"/.test(log); i++) await new Promise((r) => setTimeout(r, 50));
  const m = /"url":"([^"]+)"/.exec(log);
  if (!m) throw new Error(`extender did not start:\n${log}`);
  base = m[1]!;
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  scorer?.kill();
  await receiver?.close();
});

it("traceparent -> HTTP server span -> overseer.extender.prioritize -> gRPC ScoreNodes client span, one trace", async () => {
  const r = await post(`${base}/prioritize`, namesRequest(["node-a", "node-b"]), { traceparent: `00-${TRACE_ID}-${PARENT}-01` });
  expect(r.status).toBe(200);
  const inTrace = () => receiver.spans.filter((s) => s.traceId === TRACE_ID);
  for (let i = 0; i < 200 && !inTrace().some((s) => s.name.includes("ScoreNodes")); i++) await new Promise((r) => setTimeout(r, 50));
  const spans = inTrace();
  const http = spans.find((s) => s.kind === 2 && s.parentSpanId === PARENT);
  const decision = spans.find((s) => s.name === "overseer.extender.prioritize");
  const grpcClient = spans.find((s) => s.kind === 3 && s.name.includes("overseer.v1.ScorerService/ScoreNodes"));
  expect(http, JSON.stringify(spans.map((s) => [s.name, s.kind]))).toBeDefined();
  expect(decision?.parentSpanId).toBe(http!.spanId);
  expect(decision?.attributes["overseer.workload.class"]).toBe("upf");
  expect(decision?.attributes["overseer.candidate_count"]).toBe(2);
  expect(grpcClient?.parentSpanId).toBe(decision!.spanId);
  expect(new Set(spans.map((s) => s.service))).toEqual(new Set(["extender"]));
});

it("/healthz and /metrics are not traced", async () => {
  const before = receiver.spans.length;
  await fetch(base.replace(/\/overseer$/, "/healthz"));
  await fetch(base.replace(/\/overseer$/, "/metrics"));
  await new Promise((r) => setTimeout(r, 400));
  expect(receiver.spans.slice(before).filter((s) => /healthz|metrics/.test(JSON.stringify(s)))).toEqual([]);
});
