// Streams NodeStates to scorer-svc's IngestNodeStates (a client stream). While the receiver is
// down only the newest state is kept (one slot); the stream is re-opened with exponential backoff.
import * as grpc from "@grpc/grpc-js";
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";
import { ScorerServiceClient, type IngestNodeStatesRequest, type IngestNodeStatesResponse } from "../../../gen/overseer/v1/scorer_service.js";
import { createLatestSlot } from "./latest-slot.js";
import type { Publisher, PublisherHooks } from "./publisher.js";

export interface GrpcPublisherOptions {
  address: string;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long one connection attempt may take. */
  connectTimeoutMs?: number;
  hooks?: PublisherHooks;
}

interface Pending {
  state: NodeState;
  at: number;
}

export function createGrpcPublisher(opts: GrpcPublisherOptions): Publisher & { readonly connected: boolean; readonly pendingCount: number } {
  const hooks = opts.hooks ?? {};
  const name = "grpc";
  const initial = opts.initialBackoffMs ?? 200;
  const max = opts.maxBackoffMs ?? 10_000;
  const client = new ScorerServiceClient(opts.address, grpc.credentials.createInsecure(), {
    "grpc.initial_reconnect_backoff_ms": initial,
    "grpc.max_reconnect_backoff_ms": max,
  });
  const slot = createLatestSlot<Pending>();
  let stream: grpc.ClientWritableStream<IngestNodeStatesRequest> | undefined;
  let closing = false;
  let wakeSleep: (() => void) | undefined;
  let everConnected = false;
  let wakeClose!: () => void;
  const closeSignal = new Promise<void>((r) => (wakeClose = r));

  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wakeSleep = () => {
        clearTimeout(t);
        r();
      };
    });

  const waitReady = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));

  /** Opens a stream; resolves with a promise that settles when the stream ends (error or close). */
  const open = () => {
    let ended!: (err: Error | undefined) => void;
    const done = new Promise<Error | undefined>((r) => (ended = r));
    const s = client.ingestNodeStates((err: grpc.ServiceError | null, res?: IngestNodeStatesResponse) => {
      if (err) ended(err);
      else {
        if (res) hooks.log?.("info", "scorer closed the ingest stream", { accepted: res.accepted, ignored: res.ignored, rejected: res.rejected });
        ended(undefined);
      }
    });
    return { s, done };
  };

  const write = (s: grpc.ClientWritableStream<IngestNodeStatesRequest>, p: Pending) =>
    new Promise<void>((resolve, reject) => {
      const ok = s.write({ state: p.state, states: [] }, (err: Error | null | undefined) => (err ? reject(err) : resolve()));
      void ok;
    });

  async function run() {
    let backoff = initial;
    while (!closing) {
      try {
        await waitReady(opts.connectTimeoutMs ?? 2000);
      } catch (e) {
        if (closing) break;
        hooks.onFailure?.(name, "connect");
        hooks.log?.(everConnected ? "warn" : "info", "scorer not reachable; keeping only the newest state", { address: opts.address, retryInMs: backoff, error: (e as Error).message });
        await sleep(backoff);
        backoff = Math.min(max, backoff * 2);
        continue;
      }
      const { s, done } = open();
      stream = s;
      everConnected = true;
      backoff = initial;
      hooks.log?.("info", "ingest stream open", { address: opts.address });
      let streamError: Error | undefined;
      let finished = false;
      void done.then((e) => {
        finished = true;
        streamError = e;
        wakeSleep?.();
      });
      // Pump: wait for a state or for the stream to end.
      while (!closing && !finished) {
        await Promise.race([slot.wait(), done, closeSignal]);
        if (finished || closing) break;
        const p = slot.take();
        if (!p) continue;
        try {
          await Promise.race([write(s, p), done.then((e) => Promise.reject(e ?? new Error("stream closed")))]);
          hooks.onPublished?.(name, (Date.now() - p.at) / 1000);
        } catch (e) {
          // Not delivered: keep it unless something newer arrived meanwhile.
          if (slot.size === 0) slot.put(p);
          streamError ??= e as Error;
          break;
        }
      }
      stream = undefined;
      if (closing) {
        // Flush the last state on the open stream, then end it.
        const last = slot.take();
        if (last && !finished) {
          try {
            await write(s, last);
            hooks.onPublished?.(name, (Date.now() - last.at) / 1000);
          } catch {
            hooks.onFailure?.(name, "flush");
          }
        }
        if (!finished) s.end();
        await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
        break;
      }
      s.cancel?.();
      hooks.onFailure?.(name, "stream");
      hooks.log?.("warn", "ingest stream ended; reconnecting", { error: streamError?.message, retryInMs: backoff });
      await sleep(backoff);
      backoff = Math.min(max, backoff * 2);
    }
  }

  const loop = run();

  return {
    name,
    get connected() {
      return stream !== undefined;
    },
    get pendingCount() {
      return slot.size;
    },
    publish(state) {
      if (slot.put({ state, at: Date.now() }) !== undefined) hooks.onSuperseded?.(name);
    },
    async close(timeoutMs) {
      closing = true;
      wakeSleep?.();
      wakeClose();
      await Promise.race([loop, new Promise((r) => setTimeout(r, timeoutMs))]);
      client.close();
    },
  };
}
