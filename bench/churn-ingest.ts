// Bench helper: background NodeState churn at a paced rate, as the agents produce it in steady
// state (each node publishes one new state per agent interval, 1 s). A worker thread streams the
// states over gRPC to scorer-svc's IngestNodeStates (so the server pays decode, store and regime
// classification, as in production), `hzPerNode` new states per node per second, spread evenly over
// 20 ms ticks in one batched message each.
import * as grpc from "@grpc/grpc-js";
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { ScorerServiceClient, type IngestNodeStatesResponse } from "../gen/overseer/v1/scorer_service.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";

export interface ChurnOptions {
  address: string;
  names: readonly string[];
  hzPerNode: number;
  /** Sequences start here (above anything ingested before, so every state is accepted). */
  firstSequence: number;
}

export interface ChurnResult {
  sent: number;
  accepted: number;
  seconds: number;
}

export interface Churn {
  stop(): Promise<ChurnResult>;
}

const TICK_MS = 20;

/** Starts the churn in a worker thread; stop() ends the stream and reports what the server accepted. */
export function startChurn(opts: ChurnOptions): Churn {
  if (!(opts.hzPerNode > 0)) throw new Error(`churn rate must be > 0 states per node per second, got ${opts.hzPerNode}`);
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "churn", ...opts, names: [...opts.names] } });
  const done = new Promise<ChurnResult>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    async stop() {
      worker.postMessage("stop");
      const r = await done;
      await worker.terminate();
      return r;
    },
  };
}

async function churnWorker(d: ChurnOptions): Promise<ChurnResult> {
  const client = new ScorerServiceClient(d.address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 64 << 20 });
  let stopping = false;
  parentPort!.on("message", (m) => {
    if (m === "stop") stopping = true;
  });
  const seq = new Array<number>(d.names.length).fill(d.firstSequence);
  const t0 = performance.now();
  let due = 0;
  let next = 0;
  const answer = new Promise<IngestNodeStatesResponse>((resolve, reject) => {
    const stream = client.ingestNodeStates((e, r) => (e ? reject(e) : resolve(r)));
    const tick = () => {
      if (stopping) {
        stream.end();
        return;
      }
      // States owed since the start at the target rate, so timer jitter does not change the rate.
      const owed = Math.floor(((performance.now() - t0) / 1000) * d.hzPerNode * d.names.length) - due;
      if (owed > 0) {
        const now = new Date();
        const states = [];
        for (let i = 0; i < owed; i++) {
          states.push(nodeState(d.names[next]!, { sequence: seq[next]!++, observedAt: now, features: { mem_bandwidth_fraction_of_peak: ((next * 37) % 90) / 100, cpu_utilization_fraction: ((next * 13) % 100) / 100 } }));
          next = (next + 1) % d.names.length;
        }
        due += owed;
        stream.write({ state: undefined, states });
      }
      setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const r = await answer;
  client.close();
  return { sent: due, accepted: r.accepted, seconds: (performance.now() - t0) / 1000 };
}

if (!isMainThread && workerData?.role === "churn") {
  churnWorker(workerData as ChurnOptions).then((r) => parentPort!.postMessage(r));
}
