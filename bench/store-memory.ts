// Heap per node of scorer-svc's NodeStateStore, beside the same store plus the decoded NodeState
// objects kept alive (what a record held before it kept bytes): N nodes ingested, then full
// collections, heap and external (ArrayBuffer) bytes per node.
//   node dist/bench/store-memory.js [--nodes 20000]
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import { NodeStateStore } from "../lib/scorer/node-state-store.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import type { NodeState } from "../gen/overseer/v1/node_state.js";

// The collector, exposed at run time (the bench measures after full collections).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const i = process.argv.indexOf("--nodes");
const N = i > 0 ? Number(process.argv[i + 1]) : 20_000;
if (!(Number.isInteger(N) && N > 0)) throw new Error("--nodes must be a positive integer");

const state = (k: number): NodeState => {
  const s = nodeState(`node-${k}`, { sequence: 2, features: { cpu_utilization_fraction: (k % 100) / 100, mem_bandwidth_fraction_of_peak: (k % 37) / 40 } });
  s.residents = [{ podNamespace: "cnf", podName: `upf-${k}`, podUid: `uid-${k}`, workloadClass: "upf", isCnf: true, placedAt: new Date() }];
  return s;
};

/** Bytes per node retained by what `build` returns, after full collections. */
function perNode(build: () => unknown): { heap: number; external: number } {
  gc();
  gc();
  const a = process.memoryUsage();
  const kept = build();
  gc();
  gc();
  const b = process.memoryUsage();
  if (!kept) throw new Error("nothing kept");
  return { heap: (b.heapUsed - a.heapUsed) / N, external: (b.external - a.external) / N };
}

const store = perNode(() => {
  const s = new NodeStateStore({ maxNodes: N });
  for (let k = 0; k < N; k++) s.upsert(state(k));
  return s;
});
const withDecoded = perNode(() => {
  const s = new NodeStateStore({ maxNodes: N });
  const decoded: NodeState[] = [];
  for (let k = 0; k < N; k++) {
    const st = state(k);
    s.upsert(st);
    decoded.push(st);
  }
  return [s, decoded];
});
const total = (m: { heap: number; external: number }) => m.heap + m.external;
console.log(`NodeStateStore, ${N} nodes (node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}), bytes per node:`);
console.log(`  store as built (state bytes)          heap ${store.heap.toFixed(0).padStart(6)}  external ${store.external.toFixed(0).padStart(6)}  total ${total(store).toFixed(0).padStart(6)}`);
console.log(`  + the decoded states kept (baseline)  heap ${withDecoded.heap.toFixed(0).padStart(6)}  external ${withDecoded.external.toFixed(0).padStart(6)}  total ${total(withDecoded).toFixed(0).padStart(6)}`);
console.log(`  heap: ${(store.heap / withDecoded.heap).toFixed(2)}x the baseline; total: ${(total(store) / total(withDecoded)).toFixed(2)}x`);
