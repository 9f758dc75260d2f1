import { describe, expect, it } from "vitest";
import { chooseNode, fits, leastAllocatedScore, type NodeLoad } from "./scheduler-emulation.js";

const GiB = 1024 ** 3;
const node = (name: string, requestedCpus: number, allocatableCpus = 100): NodeLoad => ({
  name,
  allocatableCpus,
  requestedCpus,
  allocatableMemoryBytes: allocatableCpus * GiB,
  requestedMemoryBytes: requestedCpus * GiB,
});

describe("leastAllocatedScore", () => {
  it.each([
    ["empty node", node("a", 0), 0, 100],
    ["half used after the pod", node("a", 40), 10, 50],
    ["full after the pod", node("a", 90), 10, 0],
    ["over-committed clamps at 0", node("a", 120), 10, 0],
    ["zero capacity scores 0", node("a", 0, 0), 1, 0],
  ] as const)("%s", (_, n, podCpus, want) => {
    expect(leastAllocatedScore(n, podCpus, podCpus * GiB)).toBe(want);
  });
});

describe("fits", () => {
  it("exactly full fits, one more does not", () => {
    expect(fits(node("a", 90), 10, 10 * GiB)).toBe(true);
    expect(fits(node("a", 91), 10, 10 * GiB)).toBe(false);
  });
});

describe("chooseNode", () => {
  const nodes = [node("busy", 60), node("idle", 0), node("mid", 30)];
  it("no extender: the least allocated node (default scheduler)", () => {
    expect(chooseNode(nodes, 4, 4 * GiB, undefined, 0, () => 0)?.node).toBe("idle");
  });
  it("extender scores x 10 x weight outweigh least-allocated", () => {
    const scores = new Map([
      ["busy", 10],
      ["idle", 2],
      ["mid", 5],
    ]);
    // busy: 36 + 100*5 = 536; idle: 96 + 20*5 = 196; mid: 66 + 50*5 = 316
    expect(chooseNode(nodes, 4, 4 * GiB, scores, 5, () => 0)).toEqual({ node: "busy", total: 536 });
  });
  it("a node the extender did not score gets 0 from it", () => {
    expect(chooseNode(nodes, 4, 4 * GiB, new Map([["mid", 10]]), 1, () => 0)?.node).toBe("mid");
  });
  it("ties are broken by the random draw", () => {
    const twins = [node("x", 10), node("y", 10)];
    expect(chooseNode(twins, 1, GiB, undefined, 0, () => 0)?.node).toBe("x");
    expect(chooseNode(twins, 1, GiB, undefined, 0, () => 0.99)?.node).toBe("y");
  });
  it("no feasible node: undefined", () => {
    expect(chooseNode([], 1, GiB, undefined, 0, () => 0)).toBeUndefined();
  });
});
