// Node agent: PMU counters -> feature vector -> NodeState -> scorer-svc / NodeState CR / JSONL.
import { jsonLog } from "../../lib/bundle/json-log.js";
import { loadConfigOrExit } from "../../lib/config/flags.js";
import { AGENT_FLAGS, SUMMARY } from "../../lib/agent/config.js";

const cfg = loadConfigOrExit("agent", SUMMARY, AGENT_FLAGS);
const log = jsonLog("agent");
// Loaded after the flags are validated, so a bad flag fails fast.
const { assembleAgent } = await import("../../lib/agent/assemble.js");
let running;
try {
  running = await assembleAgent(cfg, log);
} catch (e) {
  log("error", "agent cannot start", { error: (e as Error).message });
  process.exit(2);
}
const r = running;
log("info", "agent running", { source: cfg.source, node: cfg.nodeName, intervalMs: cfg.interval, grpc: r.grpc?.port ?? null, metrics: r.metricsServer?.port ?? null, scorer: cfg.scorer || null });

let stopping = false;
const shutdown = (why: string) => {
  if (stopping) return;
  stopping = true;
  log("info", "shutting down", { reason: why });
  r.stop().then(
    () => process.exit(0),
    (e: unknown) => {
      log("error", "shutdown failed", { error: String(e) });
      process.exit(1);
    },
  );
};
for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => shutdown(sig));
void r.agent.done.then(() => shutdown("source finished"));
