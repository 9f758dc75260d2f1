import { describe, expect, it } from "vitest";
import { ConfigError, formatHelp, parseDurationMs, parseFlags, positive } from "./flags.js";

const specs = {
  listen: { name: "listen", type: "string" as const, env: "T_LISTEN", default: "127.0.0.1:50051", help: "address" },
  workers: { name: "workers", type: "int" as const, default: 2, help: "workers", validate: positive },
  ratio: { name: "ratio", type: "float" as const, help: "ratio" },
  verbose: { name: "verbose", type: "bool" as const, default: false, help: "log more" },
  timeout: { name: "timeout", type: "duration" as const, env: "T_TIMEOUT", default: 2000, help: "deadline" },
};

describe("parseFlags", () => {
  it("uses defaults when nothing is given", () => {
    const c = parseFlags([], {}, specs);
    expect(c).toMatchObject({ listen: "127.0.0.1:50051", workers: 2, verbose: false, timeout: 2000, help: false });
    expect(c.ratio).toBeUndefined();
  });
  it("reads --flag value, --flag=value and bare booleans", () => {
    const c = parseFlags(["--listen", "0.0.0.0:1", "--workers=4", "--verbose", "--ratio", "0.5", "--timeout", "750ms"], {}, specs);
    expect(c).toMatchObject({ listen: "0.0.0.0:1", workers: 4, verbose: true, ratio: 0.5, timeout: 750 });
  });
  it("lets flags win over environment variables", () => {
    expect(parseFlags([], { T_LISTEN: "env:1" }, specs).listen).toBe("env:1");
    expect(parseFlags(["--listen=flag:1"], { T_LISTEN: "env:1" }, specs).listen).toBe("flag:1");
    expect(parseFlags([], { T_TIMEOUT: "1m" }, specs).timeout).toBe(60_000);
  });
  it.each([
    [["--workers", "two"], /--workers: "two" is not an integer/],
    [["--workers", "0"], /^--workers: must be > 0$/],
    [["--ratio", "NaN"], /not a finite number/],
    [["--timeout", "5 parsecs"], /not a duration/],
    [["--nope"], /unknown flag --nope/],
    [["--listen"], /--listen needs a value/],
    [["stray"], /unexpected argument "stray"/],
  ])("rejects %j with a clear message", (argv, message) => {
    expect(() => parseFlags(argv, {}, specs)).toThrow(ConfigError);
    expect(() => parseFlags(argv, {}, specs)).toThrow(message);
  });
  it("names the environment variable when a bad value came from it", () => {
    expect(() => parseFlags([], { T_TIMEOUT: "soon" }, specs)).toThrow(/T_TIMEOUT/);
  });
  it("lists every flag in --help", () => {
    const text = formatHelp("svc", "does things", specs);
    for (const s of Object.values(specs)) expect(text).toContain(`--${s.name}`);
    expect(text).toContain("T_LISTEN");
  });
});

describe("parseDurationMs", () => {
  it.each([
    ["500ms", 500],
    ["5s", 5000],
    ["1.5m", 90_000],
    ["2h", 7_200_000],
  ])("%s is %d ms", (text, ms) => expect(parseDurationMs(text)).toBe(ms));
});
