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
  // Spans leave every process within half a second, so a short run's traces are complete at the end.
  const telemetryEnv: Record<string, string> = { OTEL_BSP_SCHEDULE_DELAY: "500" };
  const userCollector = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  let tracing = true;
  if (jaeger) {
    telemetryEnv.OTEL_EXPORTER_OTLP_ENDPOINT = jaeger.otlpGrpcEndpoint;
    telemetryEnv.OTEL_EXPORTER_OTLP_PROTOCOL = "grpc";
  } else if (userCollector === undefined) {
    telemetryEnv.OTEL_TRACES_EXPORTER = "none";
    tracing = false;
  }
  if (process.env.OTEL_TRACES_EXPORTER === "none" || process.env.OTEL_SDK_DISABLED === "true") tracing = false;
  Object.assign(process.env, telemetryEnv);
  process.env.OTEL_SERVICE_NAME ??= "overseer-local";
  return { cfg, root, runDir, sup, jaeger, notes, tracing, telemetryEnv };
}
