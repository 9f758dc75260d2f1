// Writes the newest NodeState into the node's NodeState custom resource. One write at a time;
// states arriving meanwhile replace each other (only the newest is written next).
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";
import type { NodeStateClient } from "../../kube/nodestate-client.js";
import { createLatestSlot } from "./latest-slot.js";
import type { Publisher, PublisherHooks } from "./publisher.js";

export function createKubePublisher(client: NodeStateClient, hooks: PublisherHooks = {}): Publisher {
  const name = "kube";
  const slot = createLatestSlot<{ state: NodeState; at: number }>();
  let closing = false;
  let wakeClose!: () => void;
  const closeSignal = new Promise<void>((r) => (wakeClose = r));

  async function run() {
    while (true) {
      await Promise.race([slot.wait(), closeSignal]);
      const p = slot.take();
      if (!p) {
        if (closing) return;
        continue;
      }
      try {
        await client.upsertStatus(p.state);
        hooks.onPublished?.(name, (Date.now() - p.at) / 1000);
      } catch (e) {
        hooks.onFailure?.(name, "api");
        hooks.log?.("warn", "NodeState custom resource not written", { node: p.state.nodeName, sequence: p.state.sequence, error: (e as Error).message });
      }
      if (closing && slot.size === 0) return;
    }
  }
  const loop = run();

  return {
    name,
    publish(state) {
      if (slot.put({ state, at: Date.now() }) !== undefined) hooks.onSuperseded?.(name);
    },
    async close(timeoutMs) {
      closing = true;
      wakeClose();
      await Promise.race([loop, new Promise((r) => setTimeout(r, timeoutMs))]);
    },
  };
}
