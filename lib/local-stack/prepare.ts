// What must happen before the runner loads its own telemetry: the run directory, the supervisor,
// Jaeger (when asked for), and the OTEL_* environment every process of the run gets.
// Imports nothing that telemetry instruments (no grpc-js), so main.ts can load the preload after it.
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LocalConfig } from "./config.js";
import { startJaeger, type JaegerInstance } from "./observability.js";
import { repoRoot } from "./repo-root.js";
import { Supervisor } from "./supervisor.js";

export interface PreparedRun {
  cfg: LocalConfig;
  root: string;
  runDir: string;
  sup: Supervisor;
  jaeger?: JaegerInstance;
  /** Why an observability tool was not started. */
  notes: string[];
  tracing: boolean;
  /** OTEL_* for every process of the run (also applied to this process). */
  telemetryEnv: Record<string, string>;
}

export async function prepareRun(cfg: LocalConfig, out: (line: string) => void): Promise<PreparedRun> {
  const root = repoRoot();
  const runDir = cfg.runDir !== "" ? path.resolve(cfg.runDir) : mkdtempSync(path.join(os.tmpdir(), "overseer-local-"));
  mkdirSync(runDir, { recursive: true });
  const sup = new Supervisor(runDir);
  const notes: string[] = [];
  let jaeger: JaegerInstance | undefined;
  if (cfg.withObservability) {
    out("starting jaeger ...");
    const j = await startJaeger(sup, root, cfg.startTimeoutMs);
    if ("skipped" in j) notes.push(j.skipped);
    else jaeger = j;
  }
  const { env: telemetryEnv, tracing } = runTelemetryEnv(process.env, jaeger?.otlpGrpcEndpoint);
  Object.assign(process.env, telemetryEnv);
  process.env.OTEL_SERVICE_NAME ??= "overseer-local";
  return { cfg, root, runDir, sup, jaeger, notes, tracing, telemetryEnv };
}

/**
 * The OTEL_* every process of a run gets, and whether the run is traced: to Jaeger when the runner
 * started one, to the operator's collector when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, else
 * not at all.
 */
export function runTelemetryEnv(env: Record<string, string | undefined>, jaegerOtlpGrpc: string | undefined): { env: Record<string, string>; tracing: boolean } {
  // Spans leave every process within half a second, so a short run's traces are complete at the end.
  const out: Record<string, string> = { OTEL_BSP_SCHEDULE_DELAY: "500" };
  const userCollector = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  let tracing = true;
  if (jaegerOtlpGrpc !== undefined) {
    out.OTEL_EXPORTER_OTLP_ENDPOINT = jaegerOtlpGrpc;
    out.OTEL_EXPORTER_OTLP_PROTOCOL = "grpc";
  } else if (userCollector === undefined) {
    // No collector: no SDK at all in the stack's processes. With only the exporter off, every
    // decision still made and dropped its spans (the HTTP and gRPC instrumentations, the context
    // manager): about 1-2 ms per decision here, for traces nobody could see.
    out.OTEL_TRACES_EXPORTER = "none";
    out.OTEL_SDK_DISABLED = "true";
    tracing = false;
  }
  if (env.OTEL_TRACES_EXPORTER === "none" || env.OTEL_SDK_DISABLED === "true") tracing = false;
  return { env: out, tracing };
}
