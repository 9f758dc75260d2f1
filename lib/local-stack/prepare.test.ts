import { describe, expect, it } from "vitest";
import { runTelemetryEnv } from "./prepare.js";

describe("the OTEL_* a local run gives its processes", () => {
  it("no collector: the SDK is off in every process (not only the exporter), and the run is not traced", () => {
    const r = runTelemetryEnv({}, undefined);
    expect(r.tracing).toBe(false);
    expect(r.env).toEqual({ OTEL_BSP_SCHEDULE_DELAY: "500", OTEL_TRACES_EXPORTER: "none", OTEL_SDK_DISABLED: "true" });
  });

  it("the runner's Jaeger: traces go there over OTLP/gRPC", () => {
    const r = runTelemetryEnv({}, "http://127.0.0.1:4317");
    expect(r.tracing).toBe(true);
    expect(r.env).toEqual({ OTEL_BSP_SCHEDULE_DELAY: "500", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
  });

  it.each([["OTEL_EXPORTER_OTLP_ENDPOINT"], ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]])("the operator's collector (%s): the SDK stays on, their settings are kept", (k) => {
    const r = runTelemetryEnv({ [k]: "http://collector:4317" }, undefined);
    expect(r.tracing).toBe(true);
    expect(r.env).toEqual({ OTEL_BSP_SCHEDULE_DELAY: "500" });
  });

  it.each([[{ OTEL_TRACES_EXPORTER: "none" }], [{ OTEL_SDK_DISABLED: "true" }]])("the operator turned tracing off (%o): not traced, even with Jaeger", (env) => {
    expect(runTelemetryEnv({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317" }, undefined).tracing).toBe(false);
    expect(runTelemetryEnv(env, "http://127.0.0.1:4317").tracing).toBe(false);
  });
});
