// deploy/scheduler-config.yaml agrees with the extender's defaults and with the weight arithmetic
// documented in docs/extender.md.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseExtenderConfig } from "../lib/extender/config.js";
import {
  extenderContribution,
  HEURISTIC_PLUGINS,
  maxPluginSpread,
  PREFERENCE_PLUGINS,
  scoreGapToOutweigh,
  DEFAULT_SCORE_PLUGIN_WEIGHTS,
} from "../lib/extender/weights.js";

const yaml = readFileSync(new URL("../deploy/scheduler-config.yaml", import.meta.url), "utf8");
/** `key: value` of the (single) extender block; comments stripped. */
function field(key: string): string {
  const m = new RegExp(`^\\s*-?\\s*${key}:\\s*"?([^"#\\n]+?)"?\\s*(#.*)?$`, "m").exec(yaml.replace(/^#.*$/gm, ""));
  if (!m) throw new Error(`${key} not found in deploy/scheduler-config.yaml`);
  return m[1]!.trim();
}

describe("deploy/scheduler-config.yaml", () => {
  const defaults = parseExtenderConfig([], {});

  it("is a v1 KubeSchedulerConfiguration pointing at the extender's default address and verbs", () => {
    expect(field("apiVersion")).toBe("kubescheduler.config.k8s.io/v1");
    expect(field("kind")).toBe("KubeSchedulerConfiguration");
    expect(field("urlPrefix")).toBe(`http://${defaults.host}:${defaults.port}${defaults.pathPrefix}`);
    expect(field("filterVerb")).toBe("filter");
    expect(field("prioritizeVerb")).toBe("prioritize");
    expect(field("nodeCacheCapable")).toBe("true");
    expect(field("ignorable")).toBe("true");
    expect(field("enableHTTPS")).toBe("false");
  });

  it("httpTimeout is above the extender's scorer deadline", () => {
    const m = /^(\d+)s$/.exec(field("httpTimeout"));
    expect(m).not.toBeNull();
    expect(Number(m![1]) * 1000).toBeGreaterThan(defaults.scorerDeadlineMs);
  });

  it("weight: OverSeer's full range beats the heuristic plugins together but not the explicit preferences together", () => {
    const weight = Number(field("weight"));
    const overseerRange = extenderContribution(10, weight) - extenderContribution(0, weight);
    expect(maxPluginSpread(HEURISTIC_PLUGINS)).toBe(500);
    expect(maxPluginSpread(PREFERENCE_PLUGINS)).toBe(700);
    expect(overseerRange).toBeGreaterThan(maxPluginSpread(HEURISTIC_PLUGINS));
    expect(overseerRange).toBeLessThan(maxPluginSpread(PREFERENCE_PLUGINS));
  });

  it("the documented examples hold", () => {
    const weight = Number(field("weight"));
    expect(Object.values(DEFAULT_SCORE_PLUGIN_WEIGHTS).reduce((a, b) => a + b, 0)).toBe(12);
    expect(extenderContribution(1, weight)).toBe(60);
    // one weight-1 plugin (100 points) is outweighed by a 2-point gap; PodTopologySpread (200) by 4
    expect(scoreGapToOutweigh(100, weight)).toBe(2);
    expect(scoreGapToOutweigh(200, weight)).toBe(4);
    // worked example: A leads by 50 on the defaults; OverSeer scores A 3, B 9
    const a = 870 + extenderContribution(3, weight);
    const b = 820 + extenderContribution(9, weight);
    expect([a, b]).toEqual([1050, 1360]);
  });
});
