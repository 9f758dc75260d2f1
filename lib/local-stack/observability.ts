// --with-observability: Prometheus and Jaeger (when installed) started with configs from deploy/,
// on their usual ports when free (9090, 16686, 4317), otherwise on free ones.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freePorts } from "./ports.js";
import { prometheusConfigYaml, type ScrapeJob } from "./prometheus-config.js";
import { waitForHttpOk } from "./readiness.js";
import type { Supervisor } from "./supervisor.js";
import { findTool, TOOLS_HINT } from "./tools.js";

export interface JaegerInstance {
  otlpGrpcEndpoint: string;
  queryUrl: string;
}

export async function startJaeger(sup: Supervisor, root: string, timeoutMs: number): Promise<JaegerInstance | { skipped: string }> {
  const bin = findTool("jaeger", root);
  if (!bin) return { skipped: `jaeger not found (${TOOLS_HINT})` };
  const [otlpGrpc, otlpHttp, queryHttp, queryGrpc, health] = await freePorts(5, [4317, 4318, 16686, 16685, 13133]);
  const child = sup.start({
    name: "jaeger",
    command: bin,
    args: ["--config", path.join(root, "deploy/jaeger-config.yaml")],
    cwd: root,
    env: {
      OVERSEER_JAEGER_OTLP_GRPC: `127.0.0.1:${otlpGrpc}`,
      OVERSEER_JAEGER_OTLP_HTTP: `127.0.0.1:${otlpHttp}`,
      OVERSEER_JAEGER_QUERY_HTTP: `127.0.0.1:${queryHttp}`,
      OVERSEER_JAEGER_QUERY_GRPC: `127.0.0.1:${queryGrpc}`,
      OVERSEER_JAEGER_HEALTH_HTTP: `127.0.0.1:${health}`,
    },
  });
  const queryUrl = `http://127.0.0.1:${queryHttp}`;
  await waitForHttpOk(`${queryUrl}/api/services`, { timeoutMs, what: "jaeger", alive: () => child.running });
  return { otlpGrpcEndpoint: `http://127.0.0.1:${otlpGrpc}`, queryUrl };
}

export async function startPrometheus(sup: Supervisor, root: string, runDir: string, jobs: ScrapeJob[], timeoutMs: number): Promise<{ url: string } | { skipped: string }> {
  const bin = findTool("prometheus", root);
  if (!bin) return { skipped: `prometheus not found (${TOOLS_HINT})` };
  const [port] = await freePorts(1, [9090]);
  const configPath = path.join(runDir, "prometheus.yml");
  writeFileSync(configPath, prometheusConfigYaml(jobs, 2));
  const data = path.join(runDir, "prometheus-data");
  mkdirSync(data, { recursive: true });
  const child = sup.start({
    name: "prometheus",
    command: bin,
    args: [`--config.file=${configPath}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    cwd: runDir,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${url}/-/ready`, { timeoutMs, what: "prometheus", alive: () => child.running });
  return { url };
}
