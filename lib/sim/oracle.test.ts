import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog, requireWorkload } from "./catalog.js";
import { createSimNode } from "./node.js";
import { oracleBestNode } from "./oracle.js";

const cat = loadWorkloadCatalog();
const w = (c: string) => requireWorkload(cat, c);

describe("placement oracle", () => {
  it("picks the node where the pod truly suffers least", () => {
    const candidates = [
      { node: createSimNode({ name: "a" }), residents: [{ workload: w("mem-bw-streamer"), cores: 60 }, { workload: w("mem-bw-streamer"), cores: 40 }] },
      { node: createSimNode({ name: "b" }), residents: [{ workload: w("firewall-64b") }] },
      { node: createSimNode({ name: "c" }), residents: [{ workload: w("llc-thrasher"), cores: 24 }] },
    ];
    const r = oracleBestNode(candidates, w("dpi-1500b"));
    expect(r.bestIndex).toBe(1);
    expect(r.slowdowns).toHaveLength(3);
    expect(r.slowdowns[0]).toBeGreaterThan(r.slowdowns[1]!);
    expect(r.slowdowns[2]).toBeGreaterThan(r.slowdowns[1]!);
  });

  it("no candidates: index -1", () => {
    expect(oracleBestNode([], w("upf-64b"))).toEqual({ bestIndex: -1, bestSlowdown: Infinity, slowdowns: [] });
  });
});
