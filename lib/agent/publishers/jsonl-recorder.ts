// Appends every NodeState to a JSONL file in the corpus format (docs/corpus.md, node_states.jsonl:
// one overseer.v1.NodeState per line in proto3 JSON as NodeState.toJSON writes it).
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { NodeState } from "../../../gen/overseer/v1/node_state.js";
import type { Publisher, PublisherHooks } from "./publisher.js";

export function createJsonlRecorder(path: string, hooks: PublisherHooks = {}): Publisher {
  mkdirSync(dirname(path), { recursive: true });
  const out = createWriteStream(path, { flags: "a", encoding: "utf8" });
  let failed = false;
  out.on("error", (e) => {
    if (!failed) hooks.log?.("error", "recording failed", { path, error: e.message });
    failed = true;
    hooks.onFailure?.("jsonl", "write");
  });
  return {
    name: "jsonl",
    publish(state) {
      if (failed) return;
      const at = Date.now();
      // Backpressure is bounded by the interval rate (one line per window); write() buffers it.
      out.write(`${JSON.stringify(NodeState.toJSON(state))}\n`, () => hooks.onPublished?.("jsonl", (Date.now() - at) / 1000));
    },
    close() {
      return new Promise<void>((resolve) => out.end(() => resolve()));
    },
  };
}
