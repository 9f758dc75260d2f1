import { describe, expect, it } from "vitest";
import { parseExtenderConfig } from "./config.js";

describe("extender config", () => {
  it("defaults: loopback, /overseer, 2 s deadline under 5 s httpTimeout, pass on backend error", () => {
    const c = parseExtenderConfig([], {});
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8888,
      pathPrefix: "/overseer",
      scorerDeadlineMs: 2000,
      httpTimeoutMs: 5000,
      onBackendError: "pass",
      scorerTransport: "h2",
      tls: undefined,
    });
  });
  it("--scorer-transport: h2 (default) or the grpc-js fallback, by flag or env", () => {
    expect(parseExtenderConfig(["--scorer-transport", "grpc-js"], {}).scorerTransport).toBe("grpc-js");
    expect(parseExtenderConfig([], { OVERSEER_EXTENDER_SCORER_TRANSPORT: "grpc-js" }).scorerTransport).toBe("grpc-js");
    expect(parseExtenderConfig(["--scorer-transport=h2"], {}).scorerTransport).toBe("h2");
  });
  it("path prefix is normalised to a leading slash and no trailing one", () => {
    expect(parseExtenderConfig(["--path-prefix", "sched/ext/"], {}).pathPrefix).toBe("/sched/ext");
    expect(parseExtenderConfig(["--path-prefix", "/"], {}).pathPrefix).toBe("");
  });
  it("flags and env", () => {
    const c = parseExtenderConfig(["--listen", "[::1]:0", "--on-backend-error=error", "--scorer-deadline", "300ms"], {
      OVERSEER_EXTENDER_BREAKER_FAILURES: "2",
    });
    expect(c).toMatchObject({ host: "::1", port: 0, onBackendError: "error", scorerDeadlineMs: 300, breakerFailures: 2 });
  });
  it.each([
    ["deadline not below httpTimeout", ["--scorer-deadline", "5s"], /must be below --http-timeout/],
    ["bad on-backend-error", ["--on-backend-error", "ignore"], /"pass" or "error"/],
    ["unknown scorer transport", ["--scorer-transport", "http"], /--scorer-transport.*"h2" or "grpc-js", got "http"/],
    ["bad listen", ["--listen", "8888"], /not host:port/],
    ["cert without key", ["--tls-cert", "c.pem"], /go together/],
    ["zero body limit", ["--max-body-bytes", "0"], /must be > 0/],
    ["bad duration", ["--breaker-cooldown", "soon"], /not a duration/],
    ["unknown flag", ["--weight", "3"], /unknown flag/],
  ])("rejects %s", (_n, argv, pattern) => {
    expect(() => parseExtenderConfig(argv, {})).toThrow(pattern);
  });
});
