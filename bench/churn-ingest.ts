// Bench helper: background NodeState churn at a paced rate, as the agents produce it in steady
// state (each node publishes one new state per agent interval, 1 s). A child process streams the
// states over gRPC to scorer-svc's IngestNodeStates (so the server pays decode, store and regime
// classification, as in production), `hzPerNode` new states per node per second, spread evenly over
// 20 ms ticks in one batched message each.
//
// The agents run on the other nodes of a cluster, so their own CPU does not compete with the
// scheduler, the extender and scorer-svc. Here they share 2 cores with them: the child runs at the
// lowest CPU priority (nice 19), so the generator's own work takes only cycles the measured
// services leave idle (without it, its sending landed in the services' tail latency).
import * as grpc from "@grpc/grpc-js";
import { fork } from "node:child_process";
import os from "node:os";
import { performance } from "node:perf_hooks";
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

/** Starts the churn in a nice-19 child process; stop() ends the stream and reports what the server accepted. */
export function startChurn(opts: ChurnOptions): Churn {
  if (!(opts.hzPerNode > 0)) throw new Error(`churn rate must be > 0 states per node per second, got ${opts.hzPerNode}`);
  const child = fork(new URL(import.meta.url), [CHURN_ROLE], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [] });
  os.setPriority(child.pid!, 19);
  const done = new Promise<ChurnResult>((resolve, reject) => {
    child.once("message", (m: ChurnResult | { error: string }) => ("error" in m ? reject(new Error(`churn child: ${m.error}`)) : resolve(m)));
    child.once("exit", (code) => reject(new Error(`churn child exited (${code}) before reporting`)));
  });
  child.send({ start: { ...opts, names: [...opts.names] } });
  return {
    async stop() {
      child.send("stop");
      const r = await done;
      child.disconnect();
      return r;
    },
  };
}

const CHURN_ROLE = "overseer-bench-churn";

async function churnWorker(d: ChurnOptions): Promise<ChurnResult> {
  const client = new ScorerServiceClient(d.address, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 64 << 20 });
  let stopping = false;
  process.on("message", (m) => {
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

if (process.send && process.argv[2] === CHURN_ROLE) {
  process.once("message", (m: { start?: ChurnOptions }) => {
    if (!m.start) return;
    churnWorker(m.start).then(
      (r) => process.send!(r),
      (e: unknown) => process.send!({ error: e instanceof Error ? e.message : String(e) }),
    );
  });
  // The parent going away ends the child.
  process.on("disconnect", () => process.exit(0));
}
