// overseer-local: the whole OverSeer stack on this machine, on simulated SPR nodes (`make run`).
// Order matters: config, then the run directory and Jaeger (they decide OTEL_*), then the telemetry
// preload, then everything that telemetry instruments (loaded dynamically after it).
import { loadConfigOrExit } from "../../lib/config/flags.js";
import { ConfigError } from "../../lib/config/flags.js";
import { LOCAL_FLAGS, toLocalConfig } from "../../lib/local-stack/config.js";
import { prepareRun } from "../../lib/local-stack/prepare.js";

const PROGRAM = "overseer-local";
const SUMMARY =
  "Runs regime-svc, scorer-svc, the extender and one agent per simulated node on loopback, sends CNF pods through the\n" +
  "extender as kube-scheduler would, compares with the default scheduler on the same scenario, prints a summary, stops.";

const flags = loadConfigOrExit(PROGRAM, SUMMARY, LOCAL_FLAGS);
let cfg;
try {
  cfg = toLocalConfig(flags);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  process.stderr.write(`${PROGRAM}: configuration error: ${e.message}\n`);
  process.exit(2);
}
const out = (line: string) => process.stdout.write(line + "\n");
const err = (line: string) => process.stderr.write(line + "\n");
const prepared = await prepareRun(cfg, out);
await import("../../lib/telemetry/preload.js");
const { runLocalStack } = await import("../../lib/local-stack/run.js");
process.exitCode = await runLocalStack(prepared, { out, err });
