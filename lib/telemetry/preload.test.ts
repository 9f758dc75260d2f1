// Proves the preload traces gRPC under ESM: a real server/client pair in a child process exports
// over OTLP (http/json here, to an in-test receiver) and the spans link up. Needs `tsc` output in dist/.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOtlpJsonReceiver, type OtlpJsonReceiver } from "./testing/otlp-json-receiver.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PRELOAD = path.join(ROOT, "dist/lib/telemetry/preload.js");
const SETUP = path.join(ROOT, "dist/lib/telemetry/setup.js");
const PAIR = path.join(ROOT, "dist/lib/telemetry/testing/traced-grpc-pair.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runPair(importFile: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", importFile, PAIR], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", OTEL_BSP_SCHEDULE_DELAY: "100", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const traceIdOf = (run: Run) => (JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { traceId: string }).traceId;

describe("telemetry preload (ESM + import-in-the-middle hook)", () => {
  let receiver: OtlpJsonReceiver;
  beforeAll(async () => {
    if (!existsSync(PRELOAD) || !existsSync(PAIR)) throw new Error(`${PRELOAD} missing: build first (make build / npx tsc -p .)`);
    receiver = await startOtlpJsonReceiver();
  });
  afterAll(() => receiver?.close());

  const otlp = () => ({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });

  it("traces a gRPC call: application span -> grpc client span -> grpc server span, one trace", async () => {
    const run = await runPair(PRELOAD, { ...otlp(), OTEL_SERVICE_NAME: "pair-hooked" });
    expect(run.code, run.stderr).toBe(0);
    const traceId = traceIdOf(run);
    const spans = receiver.spans.filter((s) => s.traceId === traceId);
    const root = spans.find((s) => s.name === "fixture.decision");
    const client = spans.find((s) => s.name === "grpc.grpc.health.v1.Health/Check" && s.kind === 3);
    const server = spans.find((s) => s.name === "grpc.grpc.health.v1.Health/Check" && s.kind === 2);
    expect(root?.parentSpanId ?? "missing").toBe("");
    expect(client?.parentSpanId).toBe(root!.spanId);
    expect(server?.parentSpanId).toBe(client!.spanId);
    expect(server?.attributes["rpc.system"]).toBe("grpc");
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(["pair-hooked"]));
  });

  it("control: the SDK without the loader hook sees no gRPC at all (why the preload exists)", async () => {
    const run = await runPair(SETUP, { ...otlp(), OTEL_SERVICE_NAME: "pair-unhooked" });
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans.filter((s) => s.traceId === traceIdOf(run));
    expect(spans.map((s) => s.name)).toEqual(["fixture.decision"]);
  });

  it("OTEL_TRACES_EXPORTER=none exports nothing and the process still works", async () => {
    const before = receiver.spans.length;
    const run = await runPair(PRELOAD, { ...otlp(), OTEL_TRACES_EXPORTER: "none" });
    expect(run.code, run.stderr).toBe(0);
    expect(traceIdOf(run)).toMatch(/^[0-9a-f]{32}$/);
    expect(receiver.spans.length).toBe(before);
  });

  it("OTEL_SDK_DISABLED=true: no hook, no SDK, no spans (all-zero trace id from the no-op API)", async () => {
    const before = receiver.spans.length;
    const run = await runPair(PRELOAD, { ...otlp(), OTEL_SDK_DISABLED: "true" });
    expect(run.code, run.stderr).toBe(0);
    expect(traceIdOf(run)).toBe("0".repeat(32));
    expect(receiver.spans.length).toBe(before);
  });

  it("unreachable collector (default gRPC protocol): the export error is caught and the process exits 0", async () => {
    const closed = await startOtlpJsonReceiver();
    const deadUrl = closed.url;
    await closed.close();
    const run = await runPair(PRELOAD, { OTEL_EXPORTER_OTLP_ENDPOINT: deadUrl, OTEL_EXPORTER_OTLP_TIMEOUT: "1000" });
    expect(run.code, run.stderr).toBe(0);
    expect(traceIdOf(run)).toMatch(/^[0-9a-f]{32}$/);
  });
});
