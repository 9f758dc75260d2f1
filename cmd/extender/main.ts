// OverSeer kube-scheduler extender: POST <prefix>/filter and <prefix>/prioritize, GET /healthz, /metrics.
import { ConfigError, formatHelp, parseFlags } from "../../lib/config/flags.js";
import { startExtender } from "../../lib/extender/app.js";
import { EXTENDER_FLAGS, toExtenderConfig } from "../../lib/extender/config.js";

const PROGRAM = "overseer-extender";
const SUMMARY = "kube-scheduler extender backed by scorer-svc (see docs/extender.md)";

function loadConfig() {
  try {
    const flags = parseFlags(process.argv.slice(2), process.env, EXTENDER_FLAGS);
    if (flags.help) {
      process.stdout.write(formatHelp(PROGRAM, SUMMARY, EXTENDER_FLAGS));
      process.exit(0);
    }
    return toExtenderConfig(flags);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${PROGRAM}: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

const config = loadConfig();
const extender = await startExtender(config);
process.stderr.write(
  JSON.stringify({
    level: "info",
    component: "extender",
    msg: "listening",
    url: `${extender.server.url}${config.pathPrefix}`,
    scorer: config.scorerAddress,
    scorerTransport: config.scorerTransport,
    scorerDeadlineMs: config.scorerDeadlineMs,
    onBackendError: config.onBackendError,
  }) + "\n",
);

// Stop listening and let the process end by itself (so a telemetry preload can flush on
// beforeExit); a stuck handle cannot keep it alive beyond 5 s.
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 5000).unref();
    void extender.close();
  });
}
