import { describe, expect, it } from "vitest";
import { ConfigError, parseFlags } from "../config/flags.js";
import { SCORER_FLAGS } from "./config.js";

describe("scorer-svc flags: decision-time classification and the background flush", () => {
  it("defaults: 200 ms inline deadline, 256 candidates at most, background catch-up every 1 s", () => {
    const c = parseFlags([], {}, SCORER_FLAGS);
    expect([c.decisionClassifyTimeout, c.decisionClassifyMax, c.regimeFlush]).toEqual([200, 256, 1000]);
  });

  it("accepts a flag or its environment variable; max 0 disables inline classification", () => {
    expect(parseFlags(["--decision-classify-timeout", "50ms", "--decision-classify-max", "0"], {}, SCORER_FLAGS)).toMatchObject({ decisionClassifyTimeout: 50, decisionClassifyMax: 0 });
    expect(parseFlags([], { OVERSEER_DECISION_CLASSIFY_TIMEOUT: "1s" }, SCORER_FLAGS).decisionClassifyTimeout).toBe(1000);
  });

  it.each([
    ["zero timeout", ["--decision-classify-timeout", "0ms"], /--decision-classify-timeout: must be > 0 and at most 1000ms/],
    ["timeout near the extender's deadline", ["--decision-classify-timeout", "2s"], /well below the extender's --scorer-deadline/],
    ["timeout without a unit", ["--decision-classify-timeout", "100"], /not a duration/],
    ["negative max", ["--decision-classify-max", "-1"], /--decision-classify-max: must be >= 0/],
    ["fractional max", ["--decision-classify-max", "1.5"], /not an integer/],
  ])("rejects %s", (_n, argv, message) => {
    expect(() => parseFlags(argv, {}, SCORER_FLAGS)).toThrow(ConfigError);
    expect(() => parseFlags(argv, {}, SCORER_FLAGS)).toThrow(message);
  });

  it("names the environment variable when the bad value came from it", () => {
    expect(() => parseFlags([], { OVERSEER_DECISION_CLASSIFY_TIMEOUT: "5s" }, SCORER_FLAGS)).toThrow(/\(OVERSEER_DECISION_CLASSIFY_TIMEOUT\)/);
  });
});

describe("scorer-svc flags: prediction cache", () => {
  it("defaults to 32 profiles; 0 disables; the env var works", () => {
    expect(parseFlags([], {}, SCORER_FLAGS).predictionCacheProfiles).toBe(32);
    expect(parseFlags(["--prediction-cache-profiles", "0"], {}, SCORER_FLAGS).predictionCacheProfiles).toBe(0);
    expect(parseFlags([], { OVERSEER_SCORER_PREDICTION_CACHE_PROFILES: "5" }, SCORER_FLAGS).predictionCacheProfiles).toBe(5);
  });

  it.each([
    ["negative", "-1", /--prediction-cache-profiles: must be between 0 \(off\) and 4096/],
    ["too many", "5000", /must be between 0 \(off\) and 4096/],
    ["fractional", "2.5", /not an integer/],
  ])("rejects %s", (_n, v, message) => {
    expect(() => parseFlags(["--prediction-cache-profiles", v], {}, SCORER_FLAGS)).toThrow(message);
  });
});

describe("scorer-svc flags: buffer collections", () => {
  it("defaults to 4 MB; 0 turns them off; the env var works", () => {
    expect(parseFlags([], {}, SCORER_FLAGS).bufferGcMb).toBe(4);
    expect(parseFlags(["--buffer-gc-mb", "0"], {}, SCORER_FLAGS).bufferGcMb).toBe(0);
    expect(parseFlags([], { OVERSEER_SCORER_BUFFER_GC_MB: "8.5" }, SCORER_FLAGS).bufferGcMb).toBe(8.5);
  });

  it.each([
    ["negative", "-1", /--buffer-gc-mb: must be between 0 \(off\) and 1024/],
    ["too large", "4096", /must be between 0 \(off\) and 1024/],
    ["not a number", "lots", /buffer-gc-mb/],
  ])("rejects %s", (_n, v, message) => {
    expect(() => parseFlags(["--buffer-gc-mb", v], {}, SCORER_FLAGS)).toThrow(message);
  });
});
