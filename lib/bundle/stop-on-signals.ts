// SIGTERM/SIGINT -> one graceful stop of a model-serving service, exit 0 (1 when stopping fails).
import type { LogFn } from "./bundle-holder.js";

export function stopOnSignals(stop: () => Promise<void>, log: LogFn, exit: (code: number) => void = (c) => process.exit(c)): void {
  let stopping = false;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log("info", "shutting down", { signal: sig });
      stop().then(
        () => exit(0),
        (e: unknown) => {
          log("error", "shutdown failed", { error: String(e) });
          exit(1);
        },
      );
    });
  }
}
