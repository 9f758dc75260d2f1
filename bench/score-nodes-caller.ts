// The ScoreNodes caller of bench/score-nodes.ts, in a worker thread: in production the caller (the
// extender) is another process, so its request encode, gRPC client and answer decode must not run
// on scorer-svc's thread between the service's own work, as they did when the bench called from
// the service's thread. The worker uses the extender's own client (lib/extender/h2-scorer-backend.ts,
// its default transport) and hands it each candidate list as one frozen array, as the extender's
// body scan does for kube-scheduler's repeated list. The latency is measured in the worker around
// the call alone (the thread hand-off to and from this caller is not in it).
import { performance } from "node:perf_hooks";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { createH2ScorerBackend } from "../lib/extender/h2-scorer-backend.js";

interface CallRequest {
  id: number;
  /** The first n of the caller's names are the candidates. */
  n: number;
  workload: WorkloadSpec;
  scoresOnly: boolean;
  /** Index into the caller's addresses. */
  target: number;
}

interface CallAnswer {
  id: number;
  ms?: number;
  /** Scores in the answer (packed or NodeScore entries). */
  count?: number;
  error?: string;
}

export class ScoreNodesCaller {
  private readonly pending = new Map<number, { resolve: (a: { ms: number; count: number }) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (a: CallAnswer) => {
      const p = this.pending.get(a.id);
      this.pending.delete(a.id);
      if (a.error !== undefined) p?.reject(new Error(`ScoreNodes caller: ${a.error}`));
      else p?.resolve({ ms: a.ms!, count: a.count! });
    });
    worker.on("error", (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  /**
   * A caller of the ScoreNodes servers at `addresses` (scorer-svc first; one client connection each)
   * whose candidate lists are prefixes of `names`.
   */
  static start(addresses: readonly string[], names: readonly string[]): ScoreNodesCaller {
    return new ScoreNodesCaller(new Worker(new URL(import.meta.url), { workerData: { role: "score-nodes-caller", addresses: [...addresses], names: [...names] } }));
  }

  /** One ScoreNodes call for the first `n` names to addresses[target]; resolves with its latency (ms) and answer size. */
  call(n: number, workload: WorkloadSpec, scoresOnly: boolean, target = 0): Promise<{ ms: number; count: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, n, workload, scoresOnly, target } satisfies CallRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

function callerWorker(d: { addresses: string[]; names: string[] }): void {
  const backends = d.addresses.map((address) => createH2ScorerBackend({ address }));
  const lists = new Map<number, readonly string[]>();
  parentPort!.on("message", async (m: CallRequest) => {
    try {
      let list = lists.get(m.n);
      if (!list) lists.set(m.n, (list = Object.freeze(d.names.slice(0, m.n))));
      const backend = backends[m.target];
      if (!backend) throw new Error(`no address ${m.target}`);
      const t0 = performance.now();
      const r = await backend.scoreNodes({ workload: m.workload, nodeNames: list as string[], scoresOnly: m.scoresOnly }, 60_000);
      const ms = performance.now() - t0;
      parentPort!.postMessage({ id: m.id, ms, count: m.scoresOnly ? r.packedScores.length : r.scores.length } satisfies CallAnswer);
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies CallAnswer);
    }
  });
}

if (!isMainThread && workerData?.role === "score-nodes-caller") callerWorker(workerData as { addresses: string[]; names: string[] });
