import { describe, expect, it } from "vitest";
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { NodeStateStore } from "./node-state-store.js";
import { RecentPlacements } from "./recent-placements.js";
import { nodeState } from "./testing/node-states.js";

const profile = { cores: 1 } as SoloProfile;
const placement = (name: string, at: number, uid = "") => ({ key: `ns/${name}`, uid, profile, placedAtMs: at });

describe("RecentPlacements", () => {
  it("charges a placement until the settle time passes", () => {
    const r = new RecentPlacements({ settleMs: 30_000, maxPerNode: 4 });
    r.add("n", placement("p", 1000));
    expect(r.active("n", 31_000)).toHaveLength(1);
    expect(r.active("n", 31_001)).toHaveLength(0);
  });

  it("is settled by a newer state listing the pod, not by an older one or one without it", () => {
    const r = new RecentPlacements({ settleMs: 30_000, maxPerNode: 4 });
    const store = new NodeStateStore({ maxNodes: 10 });
    const t = Date.now();
    r.add("n", placement("p", t, "uid-p"));
    store.upsert(nodeState("n", { sequence: 1, observedAt: new Date(t - 1000), residents: [{ podNamespace: "ns", podName: "p" }] }));
    r.settleFrom(store.get("n")!);
    expect(r.active("n", t)).toHaveLength(1);
    store.upsert(nodeState("n", { sequence: 2, observedAt: new Date(t + 1000), residents: [{ podNamespace: "ns", podName: "other" }] }));
    r.settleFrom(store.get("n")!);
    expect(r.active("n", t)).toHaveLength(1);
    store.upsert(nodeState("n", { sequence: 3, observedAt: new Date(t + 2000), residents: [{ podNamespace: "x", podName: "renamed", podUid: "uid-p" }] }));
    r.settleFrom(store.get("n")!);
    expect(r.active("n", t)).toHaveLength(0);
  });

  it("keeps one entry per pod and at most maxPerNode", () => {
    const r = new RecentPlacements({ settleMs: 30_000, maxPerNode: 2 });
    r.add("n", placement("a", 1));
    r.add("n", placement("a", 2));
    expect(r.active("n", 10)).toHaveLength(1);
    r.add("n", placement("b", 3));
    r.add("n", placement("c", 4));
    expect(r.active("n", 10).map((p) => p.key)).toEqual(["ns/b", "ns/c"]);
    expect(r.count(10)).toBe(2);
  });
});
