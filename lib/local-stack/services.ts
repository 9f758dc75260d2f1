// Starts OverSeer's service processes from dist/ on loopback, each under the telemetry preload,
// and waits until each is ready (gRPC health SERVING, or HTTP /healthz 200).
import path from "node:path";
import { freePorts } from "./ports.js";
import { waitForGrpcServing } from "./grpc-readiness.js";
import { waitForHttpOk } from "./readiness.js";
import type { Supervisor } from "./supervisor.js";

export interface ServicePorts {
  regimeGrpc: number;
  regimeMetrics: number;
  scorerGrpc: number;
  scorerMetrics: number;
  extenderHttp: number;
}

export interface StartedServices {
  ports: ServicePorts;
  extenderUrl: string;
  scorerAddress: string;
}

export interface ServicesOptions {
  root: string;
  bundleDir: string;
  startTimeoutMs: number;
  /** Environment for every service (OTEL_* decided by the runner). */
  env: Record<string, string>;
}

export const EXTENDER_PATH_PREFIX = "/overseer";

export async function startServices(sup: Supervisor, o: ServicesOptions): Promise<StartedServices> {
  const [regimeGrpc, regimeMetrics, scorerGrpc, scorerMetrics, extenderHttp] = await freePorts(5);
  const ports = { regimeGrpc: regimeGrpc!, regimeMetrics: regimeMetrics!, scorerGrpc: scorerGrpc!, scorerMetrics: scorerMetrics!, extenderHttp: extenderHttp! };
  const node = (svc: string, args: string[]) => ({
    name: svc,
    command: process.execPath,
    args: ["--import", path.join(o.root, "dist/lib/telemetry/preload.js"), path.join(o.root, "dist/cmd", svc, "main.js"), ...args],
    cwd: o.root,
    env: { ...o.env, OTEL_SERVICE_NAME: svc },
  });
  const bundle = path.resolve(o.root, o.bundleDir);
  const wait = (what: string, alive: () => boolean) => ({ timeoutMs: o.startTimeoutMs, what, alive });

  const regime = sup.start(node("regime-svc", ["--listen", `127.0.0.1:${ports.regimeGrpc}`, "--metrics-port", String(ports.regimeMetrics), "--bundle-dir", bundle]));
  const scorer = sup.start(
    node("scorer-svc", [
      "--listen",
      `127.0.0.1:${ports.scorerGrpc}`,
      "--metrics-port",
      String(ports.scorerMetrics),
      "--bundle-dir",
      bundle,
      "--regime-address",
      `127.0.0.1:${ports.regimeGrpc}`,
    ]),
  );
  const extender = sup.start(
    node("extender", ["--listen", `127.0.0.1:${ports.extenderHttp}`, "--scorer-address", `127.0.0.1:${ports.scorerGrpc}`, "--path-prefix", EXTENDER_PATH_PREFIX]),
  );
  await Promise.all([
    waitForGrpcServing(`127.0.0.1:${ports.regimeGrpc}`, "overseer.v1.RegimeService", wait("regime-svc", () => regime.running)),
    waitForGrpcServing(`127.0.0.1:${ports.scorerGrpc}`, "overseer.v1.ScorerService", wait("scorer-svc", () => scorer.running)),
    waitForHttpOk(`http://127.0.0.1:${ports.extenderHttp}/healthz`, wait("extender", () => extender.running)),
  ]);
  return { ports, extenderUrl: `http://127.0.0.1:${ports.extenderHttp}${EXTENDER_PATH_PREFIX}`, scorerAddress: `127.0.0.1:${ports.scorerGrpc}` };
}
