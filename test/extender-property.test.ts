// Property: whatever the request and whatever scorer-svc answers (extra names, missing names,
// out-of-range scores, failures), the extender answers only nodes from the request: every
// candidate exactly once, nothing else. Random cases from a seeded PRNG (reproducible).
import { afterAll, beforeAll, expect, it } from "vitest";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScoreBasis } from "../gen/overseer/v1/scorer_service.js";
import { goldenNode, post, startFakeScorer, startTestExtender, type FakeScorer, type ScorerMode, type TestExtender } from "./extender-fixtures.js";

/** mulberry32: small seeded PRNG, enough for test-case generation. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261128;
const CASES = 100;
const NAME_POOL = ["node-a", "node-b", "n1", "n2.rack-3.example", "x", "__proto__", "constructor", "toString", "nœud-ü", "a".repeat(253), "spr-07", "spr-08"];

let scorer: FakeScorer;
let ext: TestExtender;
beforeAll(async () => {
  scorer = await startFakeScorer();
  // Many failing cases in a row must not open the circuit: this test is about the node sets.
  ext = await startTestExtender(scorer.address, ["--scorer-deadline", "200ms", "--breaker-failures", "100000"]);
});
afterAll(async () => {
  await ext.close();
  scorer.kill();
});

it(`answers are always a subset of the request (${CASES} random cases, seed ${SEED})`, async () => {
  const rnd = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const randomName = () => (rnd() < 0.7 ? pick(NAME_POOL) : `node-${Math.floor(rnd() * 50)}`);

  for (let c = 0; c < CASES; c++) {
    const names = Array.from({ length: 1 + Math.floor(rnd() * 30) }, randomName);
    const distinct = [...new Set(names)];
    const mode = rnd() < 0.5 ? "names" : "nodes";
    const verb = rnd() < 0.5 ? "filter" : "prioritize";
    const annotations: Record<string, string> = {};
    if (rnd() < 0.8) annotations["overseer.io/workload-class"] = pick(["upf", "dpi", "BAD CLASS", ""]);
    if (rnd() < 0.7) annotations["overseer.io/max-slowdown"] = pick(["1.25", "2", "0.5", "x", "1e3"]);
    if (rnd() < 0.3) annotations["overseer.io/solo-profile"] = pick(['{"cores":2}', "{", '{"cores":-1}']);
    const pod = { metadata: { name: `pod-${c}`, namespace: "ns", annotations } };
    const body =
      mode === "names" ? { Pod: pod, Nodes: null, NodeNames: names } : { Pod: pod, Nodes: { metadata: {}, items: names.map(goldenNode) }, NodeNames: null };

    // scorer-svc: answers for a random subset, plus invented names and out-of-range scores.
    const invented = Array.from({ length: Math.floor(rnd() * 4) }, () => `ghost-${Math.floor(rnd() * 1000)}`);
    const subset = distinct.filter(() => rnd() < 0.8);
    scorer.mode = pick<ScorerMode>(["ok", "ok", "ok", "unavailable", "invalid-argument", rnd() < 0.2 ? "hang" : "ok"]);
    scorer.scoreFor = () => ({
      modelVersion: "prop",
      scores: [...subset, ...invented, ...subset.slice(0, 2)].map((nodeName) => ({
        nodeName,
        score: Math.floor(rnd() * 30) - 10,
        predictedSlowdown: 1,
        slowdownUpperBound: 1,
        regime: Regime.REGIME_QUIET,
        basis: ScoreBasis.SCORE_BASIS_MODEL,
      })),
    });
    scorer.filterFor = () => ({
      feasibleNodeNames: [...subset.filter(() => rnd() < 0.5), ...invented],
      filtered: [...distinct.filter(() => rnd() < 0.3), ...invented].map((nodeName) => ({ nodeName, reason: "too slow" })),
    });

    const r = await post(`${ext.base}/${verb}`, body);
    const ctx = `case ${c} (${verb}, ${mode}, scorer ${scorer.mode})`;
    expect(r.status, ctx).toBe(200);
    const requested = new Set(distinct);

    if (verb === "prioritize") {
      const hosts = (r.json as { Host: string; Score: number }[]).map((h) => h.Host);
      expect(hosts, ctx).toEqual(distinct); // each candidate once, in order, nothing else
      for (const h of r.json as { Score: number }[]) expect(Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10, ctx).toBe(true);
    } else {
      const res = r.json as { Nodes: { items: { metadata: { name: string } }[] } | null; NodeNames: string[] | null; FailedNodes: Record<string, string> };
      const feasible = mode === "names" ? res.NodeNames! : res.Nodes!.items.map((n) => n.metadata.name);
      expect(mode === "names" ? res.Nodes : res.NodeNames, ctx).toBeNull();
      const failed = Object.keys(res.FailedNodes);
      for (const n of [...feasible, ...failed]) expect(requested.has(n), `${ctx}: ${n} was not requested`).toBe(true);
      expect(new Set(feasible).size, ctx).toBe(feasible.length);
      expect(feasible.filter((n) => failed.includes(n)), ctx).toEqual([]);
      expect(new Set([...feasible, ...failed]), ctx).toEqual(requested); // the filter fails open: nobody lost
    }
  }
});
