// Preloaded with `node --import ./dist/lib/telemetry/preload.js dist/cmd/<svc>/main.js`.
// Under ESM, instrumentations only see modules loaded through import-in-the-middle's loader hook;
// without it gRPC is silently not traced. So: register the hook, then load the SDK set-up, then
// wait until the hook thread has acknowledged every module the instrumentations asked for.
import { register } from "node:module";
import { createAddHookMessageChannel } from "import-in-the-middle";
import { telemetryDisabled } from "./env-defaults.js";

if (!telemetryDisabled(process.env)) {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register("import-in-the-middle/hook.mjs", import.meta.url, registerOptions);
  await import("./setup.js");
  await waitForAllMessagesAcknowledged();
}
