import { describe, expect, it } from "vitest";
import { ConfigError, parseFlags } from "../config/flags.js";
import { LOCAL_FLAGS, toLocalConfig } from "./config.js";

const parse = (argv: string[], env: Record<string, string> = {}) => toLocalConfig(parseFlags(argv, env, LOCAL_FLAGS));

describe("overseer-local config", () => {
  it("defaults: a minute, 8 nodes, seed 1", () => {
    expect(parse([])).toMatchObject({ durationMs: 60_000, nodes: 8, seed: 1, keepRunning: false, withObservability: false, bundleDir: "models/default" });
  });
  it("make's DURATION/NODES/SEED variables, flags win over them", () => {
    expect(parse([], { DURATION: "10s", NODES: "3", SEED: "9" })).toMatchObject({ durationMs: 10_000, nodes: 3, seed: 9 });
    expect(parse(["--duration", "8s", "--nodes=4"], { DURATION: "10s", NODES: "3" })).toMatchObject({ durationMs: 8000, nodes: 4 });
  });
  it("bool flags", () => {
    expect(parse(["--keep-running", "--with-observability"])).toMatchObject({ keepRunning: true, withObservability: true });
  });
  it.each([
    ["duration below 1s", ["--duration", "500ms"], /at least 1s/],
    ["duration not a duration", ["--duration", "10"], /not a duration/],
    ["one node", ["--nodes", "1"], /2\.\.64/],
    ["negative seed", ["--seed", "-1"], />= 0/],
    ["limit below 1", ["--max-slowdown", "0.9"], />= 1/],
    ["pod interval longer than the run", ["--duration", "2s", "--pod-interval", "3s"], /no pod would be sent/],
    ["unknown flag", ["--nope"], /unknown flag/],
  ])("%s is a clear error", (_, argv, msg) => {
    expect(() => parse(argv)).toThrow(ConfigError);
    expect(() => parse(argv)).toThrow(msg);
  });
});
