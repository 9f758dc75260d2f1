// What every NodeState publisher offers the agent.
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";

export interface PublisherHooks {
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  /** A state reached the receiver (or was handed to the transport); latency from publish() in seconds. */
  onPublished?: (publisher: string, latencySec: number) => void;
  onFailure?: (publisher: string, reason: string) => void;
  /** A state was replaced by a newer one before it could be sent. */
  onSuperseded?: (publisher: string) => void;
}

export interface Publisher {
  readonly name: string;
  /** Non-blocking: hands over the newest state. */
  publish(state: NodeState): void;
  /** Sends what is pending (bounded by timeoutMs) and releases connections. */
  close(timeoutMs: number): Promise<void>;
}
