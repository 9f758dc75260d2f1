// Integration-test stack: regime-svc, scorer-svc and the extender from dist/ (under the telemetry
// preload), plus one real agent process (sim source), each on free loopback ports.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitForGrpcServing } from "../grpc-readiness.js";
import { freePorts } from "../ports.js";
import { repoRoot } from "../repo-root.js";
import { startServices, type StartedServices } from "../services.js";
import { Supervisor } from "../supervisor.js";

export interface TestStack {
  root: string;
  dir: string;
  sup: Supervisor;
  svc: StartedServices;
  agent: { grpc: string; metrics: string; nodeName: string };
  stop(): Promise<void>;
}

export function requireBuilt(root = repoRoot()): string {
  for (const f of ["dist/lib/telemetry/preload.js", "dist/cmd/regime-svc/main.js", "dist/cmd/scorer-svc/main.js", "dist/cmd/extender/main.js", "dist/cmd/agent/main.js"]) {
    if (!existsSync(path.join(root, f))) throw new Error(`${f} missing: build first (make build, or npx tsc -p .)`);
  }
  return root;
}

export async function startTestStack(o: { env?: Record<string, string>; agentIntervalMs?: number } = {}): Promise<TestStack> {
  const root = requireBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), "overseer-obs-test-"));
  const sup = new Supervisor(dir);
  const env = { OTEL_TRACES_EXPORTER: "none", ...o.env };
  try {
    const svc = await startServices(sup, { root, bundleDir: "models/default", startTimeoutMs: 45_000, env });
    const [grpcPort, metricsPort] = await freePorts(2);
    const nodeName = "obs-test-node-1";
    const agent = sup.start({
      name: "agent",
      command: process.execPath,
      args: [
        "--import",
        path.join(root, "dist/lib/telemetry/preload.js"),
        path.join(root, "dist/cmd/agent/main.js"),
        "--source",
        "sim",
        "--sim-variant",
        "spr-mixed",
        "--sim-mix",
        "mem-bw-streamer:16,upf-64b",
        "--node-name",
        nodeName,
        "--interval",
        `${o.agentIntervalMs ?? 250}ms`,
        "--scorer",
        svc.scorerAddress,
        "--listen",
        `127.0.0.1:${grpcPort}`,
        "--metrics-listen",
        `127.0.0.1:${metricsPort}`,
      ],
      cwd: root,
      env: { ...env, OTEL_SERVICE_NAME: "agent" },
    });
    await waitForGrpcServing(`127.0.0.1:${grpcPort}`, "overseer.v1.AgentService", { timeoutMs: 30_000, what: "agent", alive: () => agent.running });
    return {
      root,
      dir,
      sup,
      svc,
      agent: { grpc: `127.0.0.1:${grpcPort}`, metrics: `127.0.0.1:${metricsPort}`, nodeName },
      stop: async () => {
        await sup.stopAll(8000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await sup.stopAll(3000);
    throw e;
  }
}
