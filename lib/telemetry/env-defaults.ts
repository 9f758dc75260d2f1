// The project's defaults for the standard OTEL_* variables. Anything the operator sets wins;
// only unset variables get a value, so OTEL_* stays the single way to configure telemetry.

export type Env = Record<string, string | undefined>;

/** Service name from the entry script: dist/cmd/<name>/main.js -> "<name>". */
export function serviceNameFromScript(scriptPath: string | undefined): string | undefined {
  if (!scriptPath) return undefined;
  const m = /(?:^|[\\/])cmd[\\/]([^\\/]+)[\\/]main\.[cm]?[jt]s$/.exec(scriptPath);
  return m ? m[1] : undefined;
}

/**
 * Returns the variables to add: traces go over OTLP/gRPC (the SDK's own default is http/protobuf),
 * metrics and logs stay off (services expose metrics with prom-client on /metrics), and the
 * service name falls back to the cmd/ folder of the entry script.
 */
export function telemetryEnvDefaults(env: Env, scriptPath: string | undefined): Env {
  const add: Env = {};
  if (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL === undefined && env.OTEL_EXPORTER_OTLP_PROTOCOL === undefined) {
    add.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = "grpc";
  }
  if (env.OTEL_METRICS_EXPORTER === undefined) add.OTEL_METRICS_EXPORTER = "none";
  if (env.OTEL_LOGS_EXPORTER === undefined) add.OTEL_LOGS_EXPORTER = "none";
  if (env.OTEL_SERVICE_NAME === undefined && !/(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? "")) {
    const name = serviceNameFromScript(scriptPath);
    if (name) add.OTEL_SERVICE_NAME = name;
  }
  return add;
}

/** OTEL_SDK_DISABLED=true turns the whole set-up (loader hook included) off. */
export function telemetryDisabled(env: Env): boolean {
  return (env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true";
}

/** Paths whose incoming HTTP requests are not traced (scrapes and probes would drown the decisions). */
export const UNTRACED_HTTP_PATHS: readonly string[] = ["/metrics", "/healthz", "/readyz", "/livez"];

export function isUntracedPath(url: string | undefined): boolean {
  const path = (url ?? "/").split("?")[0]!;
  return UNTRACED_HTTP_PATHS.includes(path);
}
