import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog, requireWorkload } from "../sim/index.js";
import { nodeName, SimWorld } from "./world.js";

const catalog = loadWorkloadCatalog();
const residentsOf = (w: SimWorld) => w.nodes.map((n) => n.scenario.residents.map((r) => `${r.podUid}:${r.workload.class}:${r.cores}`).join(","));

describe("SimWorld", () => {
  it("nodes cycle through the SPR variants and get stable names", () => {
    const w = new SimWorld(catalog, { nodes: 5, seed: 1, durationSec: 60 });
    expect(w.nodes.map((n) => n.name)).toEqual([1, 2, 3, 4, 5].map((i) => nodeName(i - 1)));
    expect(w.nodes.map((n) => n.variant)).toEqual(["spr-full", "spr-vm", "spr-old-kernel", "spr-mixed", "spr-full"]);
  });

  it("neighbours arrive and leave during the run", () => {
    const w = new SimWorld(catalog, { nodes: 4, seed: 3, durationSec: 20 });
    for (let t = 1; t <= 20; t++) w.advanceTo(t);
    expect(w.churn.arrived).toBeGreaterThan(0);
    expect(w.churn.left).toBeGreaterThan(0);
  });

  it("twin worlds keep the same neighbours whatever is placed and however often they advance", () => {
    const a = new SimWorld(catalog, { nodes: 4, seed: 7, durationSec: 30 });
    const b = new SimWorld(catalog, { nodes: 4, seed: 7, durationSec: 30 });
    const upf = requireWorkload(catalog, "upf-64b");
    a.place({ podName: "p", podNamespace: "cnf", podUid: "u", workload: upf, cores: 8, nodeName: a.nodes[0]!.name, placedAtSec: 0 });
    for (let t = 0.5; t <= 30; t += 0.5) a.advanceTo(t);
    for (const t of [10, 20, 30]) b.advanceTo(t);
    expect(residentsOf(a)).toEqual(residentsOf(b));
  });

  it("placed CNFs count in requests, residents and the end-of-run truth", () => {
    const w = new SimWorld(catalog, { nodes: 2, seed: 1, durationSec: 10 });
    const n = w.nodes[0]!.name;
    const before = w.requestedCpus(n);
    const fw = requireWorkload(catalog, "firewall-64b");
    const truth = w.trueSlowdownIfPlaced(n, fw);
    expect(truth).toBeGreaterThanOrEqual(1);
    w.place({ podName: "fw", podNamespace: "cnf", podUid: "fw-1", workload: fw, cores: fw.cores, nodeName: n, placedAtSec: 1 });
    expect(w.requestedCpus(n)).toBe(before + fw.cores);
    const published = w.residentWorkloads(n, Date.now(), Date.now() - 5000);
    expect(published.filter((r) => r.isCnf).map((r) => r.podName)).toEqual(["fw"]);
    const end = w.currentSlowdowns();
    expect(end.get("fw-1")).toBeCloseTo(truth, 6);
  });

  it("unknown node name is a clear error", () => {
    const w = new SimWorld(catalog, { nodes: 2, seed: 1, durationSec: 10 });
    expect(() => w.node("nope")).toThrow(/no simulated node "nope"/);
  });
});
