import { describe, expect, it } from "vitest";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { nodeStateFromObject, regimePatch } from "./nodestate-watch.js";
import { nodeState } from "./testing/node-states.js";

const obj = (name: string, state: unknown) => ({ apiVersion: "overseer.io/v1alpha1", kind: "NodeState", metadata: { name }, spec: { nodeName: name }, status: { state } });

describe("nodeStateFromObject", () => {
  it("decodes status.state written with NodeState.toJSON (the agent's form)", () => {
    const s = nodeState("node-1", { sequence: 7 });
    const c = nodeStateFromObject(obj("node-1", NodeState.toJSON(s)));
    expect(c.ok).toBe(true);
    if (c.ok) {
      expect(c.state.sequence).toBe(7);
      expect(c.state.features!.values).toEqual(s.features!.values);
      expect(c.state.observedAt!.getTime()).toBe(s.observedAt!.getTime());
    }
  });
  it.each([
    ["no status yet", { apiVersion: "v", kind: "NodeState", metadata: { name: "n" } }, /status\.state is missing/],
    ["an object named after another node", obj("node-2", NodeState.toJSON(nodeState("node-1"))), /must be named after its node/],
  ])("rejects %s", (_n, o, reason) => {
    const c = nodeStateFromObject(o as never);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(reason);
  });
});

describe("regimePatch", () => {
  it.each([
    ["a first regime is written", "", Regime.REGIME_QUIET, { regime: "REGIME_QUIET", regimeModelVersion: "v1" }],
    ["a changed regime is written", "REGIME_QUIET", Regime.REGIME_MIXED, { regime: "REGIME_MIXED", regimeModelVersion: "v1" }],
    ["the regime the object already shows is not written again", "REGIME_MIXED", Regime.REGIME_MIXED, undefined],
    ["an unclassified result is never written", "REGIME_QUIET", Regime.REGIME_UNSPECIFIED, undefined],
  ])("%s", (_n, current, regime, expected) => expect(regimePatch(current, regime, "v1")).toEqual(expected));
});
