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
      tls: undefined,
    });
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
    ["bad listen", ["--listen", "8888"], /not host:port/],
    ["cert without key", ["--tls-cert", "c.pem"], /go together/],
    ["zero body limit", ["--max-body-bytes", "0"], /must be > 0/],
    ["bad duration", ["--breaker-cooldown", "soon"], /not a duration/],
    ["unknown flag", ["--weight", "3"], /unknown flag/],
  ])("rejects %s", (_n, argv, pattern) => {
    expect(() => parseExtenderConfig(argv, {})).toThrow(pattern);
  });
});
