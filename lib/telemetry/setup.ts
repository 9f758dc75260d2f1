// The whole OpenTelemetry SDK set-up (loaded by preload.ts after the ESM loader hook is in place).
// Configured only by the standard OTEL_* variables; business code uses @opentelemetry/api alone.
import { NodeSDK } from "@opentelemetry/sdk-node";
import { GrpcInstrumentation } from "@opentelemetry/instrumentation-grpc";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { isUntracedPath, telemetryEnvDefaults } from "./env-defaults.js";

Object.assign(process.env, telemetryEnvDefaults(process.env, process.argv[1]));

const sdk = new NodeSDK({
  instrumentations: [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => isUntracedPath(req.url) }),
    new GrpcInstrumentation(),
  ],
});
sdk.start();

let flushed: Promise<void> | undefined;
/** Exports what is buffered; never rejects (an unreachable collector must not crash the service). */
export function shutdownTelemetry(): Promise<void> {
  flushed ??= sdk.shutdown().catch((err: unknown) => {
    process.stderr.write(`telemetry: span export on shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  return flushed;
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    void shutdownTelemetry().finally(() => {
      // Adding a listener removes Node's default "exit on signal": restore it when nobody else handles it.
      if (process.listenerCount(signal) === 1) process.exit(signal === "SIGTERM" ? 143 : 130);
    });
  });
}
process.once("beforeExit", () => void shutdownTelemetry());
