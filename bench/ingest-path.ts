// Micro-benchmark of scorer-svc's per-state ingest work without the transport: decoding
// IngestNodeStatesRequest (64 states per message), applying it to the NodeStateStore, and both
// together while the store keeps the newest state of each of 5,000 nodes (the real pattern: every
// kept state survives until its node's next update, which is what makes the young-generation size
// matter). Prints µs per state and ratios measured in this run.
//   node [--max-semi-space-size=64] dist/bench/ingest-path.js [--rounds 40]
import os from "node:os";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import { IngestNodeStatesRequest } from "../gen/overseer/v1/scorer_service.js";
import { applyIngestRequest, type IngestCounts } from "../lib/scorer/ingest-stream.js";
import { NodeStateStore } from "../lib/scorer/node-state-store.js";
import { RecentPlacements } from "../lib/scorer/recent-placements.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";

const NODES = 5000;
const PER_MESSAGE = 64;
const i = process.argv.indexOf("--rounds");
const rounds = i >= 0 ? Number(process.argv[i + 1]) : 40;

const messages = (seq: number) =>
  Array.from({ length: Math.ceil(NODES / PER_MESSAGE) }, (_, m) =>
    Buffer.from(IngestNodeStatesRequest.encode({ states: Array.from({ length: PER_MESSAGE }, (_, j) => nodeState(`node-${String(m * PER_MESSAGE + j).padStart(5, "0")}`, { sequence: seq })) }).finish()),
  );
const wire = Array.from({ length: rounds }, (_, r) => messages(r + 1));
const states = rounds * wire[0]!.length * PER_MESSAGE;

function newStore(): NodeStateStore {
  const store = new NodeStateStore({ maxNodes: 100_000 });
  const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16 });
  store.onAccepted((r) => recent.settleFrom(r));
  return store;
}
function usPerState(fn: () => void): number {
  const t = performance.now();
  fn();
  return ((performance.now() - t) * 1000) / states;
}

const young = (v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")?.space_size ?? 0) / 2 ** 20;
console.log(`${states} states in ${PER_MESSAGE}-state messages of ${wire[0]![0]!.length} bytes over ${NODES} nodes; node ${process.version}; ${process.execArgv.join(" ") || "default heap flags"} (new space ${young.toFixed(0)} MiB); load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
for (let pass = 1; pass <= 2; pass++) {
  const counts: IngestCounts = { accepted: 0, ignored: 0, rejected: 0 };
  const decode = usPerState(() => {
    for (const round of wire) for (const m of round) IngestNodeStatesRequest.decode(m);
  });
  const decoded = wire.map((round) => round.map((m) => IngestNodeStatesRequest.decode(m)));
  const store1 = newStore();
  const apply = usPerState(() => {
    for (const round of decoded) for (const m of round) applyIngestRequest(store1, m, 0, counts);
  });
  const store2 = newStore();
  const both = usPerState(() => {
    for (const round of wire) for (const m of round) applyIngestRequest(store2, IngestNodeStatesRequest.decode(m), 0, counts);
  });
  if (counts.accepted !== 2 * states) throw new Error(`accepted ${counts.accepted} of ${2 * states}`);
  console.log(
    `pass ${pass}: decode ${decode.toFixed(2)} µs/state, apply (pre-decoded) ${apply.toFixed(2)} µs/state, decode+apply with kept states ${both.toFixed(2)} µs/state = ${(both / (decode + apply)).toFixed(2)}x the sum of the parts (the excess is GC of kept states)`,
  );
}
