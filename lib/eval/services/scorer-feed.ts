// Talks to scorer-svc the way agents and the scheduler path do: streams NodeStates in
// (IngestNodeStates), waits until their regime is classified, and asks for explanations.
import * as grpc from "@grpc/grpc-js";
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";
import {
  ScorerServiceClient,
  type ExplainScoresResponse,
  type GetNodeStateResponse,
  type IngestNodeStatesResponse,
  type WorkloadSpec,
} from "../../../gen/overseer/v1/scorer_service.js";
import { CLIENT_RECEIVE_WINDOW_OPTIONS } from "../../grpc/receive-windows.js";

export class ScorerFeedError extends Error {}

/** States per IngestNodeStates message: ~20 KB messages, far below the scorer's message size limit. */
export const INGEST_STATES_PER_MESSAGE = 64;

export class ScorerFeed {
  readonly client: ScorerServiceClient;

  constructor(readonly address: string, private readonly timeoutMs = 10_000) {
    this.client = new ScorerServiceClient(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 64 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024, ...CLIENT_RECEIVE_WINDOW_OPTIONS });
  }

  private deadline(ms = this.timeoutMs): Date {
    return new Date(Date.now() + ms);
  }

  /**
   * Streams the states in one IngestNodeStates call, `INGEST_STATES_PER_MESSAGE` per message (the
   * `states` field): this feed replays many nodes from one process, and the scorer's cost is per message.
   */
  ingest(states: readonly NodeState[]): Promise<IngestNodeStatesResponse> {
    return new Promise((resolve, reject) => {
      const stream = this.client.ingestNodeStates(new grpc.Metadata(), { deadline: this.deadline() }, (err, res) => {
        if (err) reject(new ScorerFeedError(`IngestNodeStates to ${this.address} failed: ${err.message}`));
        else resolve(res!);
      });
      for (let i = 0; i < states.length; i += INGEST_STATES_PER_MESSAGE) stream.write({ states: states.slice(i, i + INGEST_STATES_PER_MESSAGE) });
      stream.end();
    });
  }

  getNodeState(nodeName: string): Promise<GetNodeStateResponse> {
    return new Promise((resolve, reject) =>
      this.client.getNodeState({ nodeName }, new grpc.Metadata(), { deadline: this.deadline() }, (err, res) => (err ? reject(err) : resolve(res!))),
    );
  }

  explain(workload: WorkloadSpec, nodeNames: readonly string[]): Promise<ExplainScoresResponse> {
    return new Promise((resolve, reject) =>
      this.client.explainScores({ workload, nodeNames: [...nodeNames] }, new grpc.Metadata(), { deadline: this.deadline() }, (err, res) =>
        err ? reject(new ScorerFeedError(`ExplainScores on ${this.address} failed: ${err.message}`)) : resolve(res!),
      ),
    );
  }

  /**
   * Waits until every node's regime was classified at or after `since` (the scorer classifies new
   * states in batches through regime-svc). Rejects after `timeoutMs`.
   */
  async waitClassified(nodeNames: Iterable<string>, since: Date, timeoutMs = 10_000, pollMs = 2): Promise<void> {
    const pending = new Set(nodeNames);
    const until = Date.now() + timeoutMs;
    while (pending.size > 0) {
      for (const name of [...pending]) {
        const res = await this.getNodeState(name).catch(() => undefined);
        const at = res?.node?.state?.regime?.classifiedAt;
        if (at && at.getTime() >= since.getTime()) pending.delete(name);
      }
      if (pending.size === 0) return;
      if (Date.now() > until) throw new ScorerFeedError(`regime of ${pending.size} node(s) (e.g. ${[...pending][0]}) not classified within ${timeoutMs} ms: is regime-svc serving?`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  close(): void {
    this.client.close();
  }
}
