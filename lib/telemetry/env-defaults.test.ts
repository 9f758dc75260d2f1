import { describe, expect, it } from "vitest";
import { isUntracedPath, serviceNameFromScript, telemetryDisabled, telemetryEnvDefaults } from "./env-defaults.js";

describe("serviceNameFromScript", () => {
  it.each([
    ["dist/cmd/scorer-svc/main.js", "scorer-svc"],
    ["/abs/dist/cmd/extender/main.js", "extender"],
    ["cmd/regime-svc/main.ts", "regime-svc"],
    ["dist/lib/telemetry/testing/traced-grpc-pair.js", undefined],
    ["", undefined],
    [undefined, undefined],
  ])("%s -> %s", (path, name) => {
    expect(serviceNameFromScript(path)).toBe(name);
  });
});

describe("telemetryEnvDefaults", () => {
  it("empty environment: gRPC traces, no OTel metrics/logs, name from the script", () => {
    expect(telemetryEnvDefaults({}, "dist/cmd/agent/main.js")).toEqual({
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_SERVICE_NAME: "agent",
    });
  });
  it("operator's protocol wins (general or traces-specific)", () => {
    expect(telemetryEnvDefaults({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }, undefined)).not.toHaveProperty("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    expect(telemetryEnvDefaults({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" }, undefined)).not.toHaveProperty(
      "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    );
  });
  it("operator's service name wins, from OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES", () => {
    expect(telemetryEnvDefaults({ OTEL_SERVICE_NAME: "x" }, "dist/cmd/agent/main.js")).not.toHaveProperty("OTEL_SERVICE_NAME");
    expect(telemetryEnvDefaults({ OTEL_RESOURCE_ATTRIBUTES: "a=b,service.name=y" }, "dist/cmd/agent/main.js")).not.toHaveProperty(
      "OTEL_SERVICE_NAME",
    );
  });
  it("operator's metrics/logs exporters are kept", () => {
    const add = telemetryEnvDefaults({ OTEL_METRICS_EXPORTER: "otlp", OTEL_LOGS_EXPORTER: "console" }, undefined);
    expect(add).not.toHaveProperty("OTEL_METRICS_EXPORTER");
    expect(add).not.toHaveProperty("OTEL_LOGS_EXPORTER");
  });
  it("unknown entry script: no service name invented", () => {
    expect(telemetryEnvDefaults({}, "/tmp/other.js")).not.toHaveProperty("OTEL_SERVICE_NAME");
  });
});

describe("telemetryDisabled", () => {
  it.each([
    ["true", true],
    [" TRUE ", true],
    ["false", false],
    ["", false],
    [undefined, false],
  ])("OTEL_SDK_DISABLED=%s -> %s", (v, disabled) => {
    expect(telemetryDisabled({ OTEL_SDK_DISABLED: v })).toBe(disabled);
  });
});

describe("isUntracedPath", () => {
  it("scrapes and probes are not traced, extender verbs are", () => {
    expect(isUntracedPath("/metrics")).toBe(true);
    expect(isUntracedPath("/healthz?verbose=1")).toBe(true);
    expect(isUntracedPath("/scheduler/prioritize")).toBe(false);
    expect(isUntracedPath(undefined)).toBe(false);
  });
});
