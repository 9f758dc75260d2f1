// regime-svc: feature vectors -> contention regime with the bundle's regime model.
import { loadConfigOrExit } from "../../lib/config/flags.js";
import { REGIME_FLAGS } from "../../lib/regime/config.js";
import { startRegimeService } from "../../lib/regime/regime-server.js";
import { jsonLog } from "../../lib/bundle/json-log.js";
import { stopOnSignals } from "../../lib/bundle/stop-on-signals.js";

const cfg = loadConfigOrExit("regime-svc", "Classifies node feature vectors into contention regimes (ONNX regime model, hot-reloaded bundle).", REGIME_FLAGS);
const log = jsonLog("regime-svc");
const svc = await startRegimeService({ ...cfg, log, defaultMetrics: true });
log("info", "listening", { grpc: svc.grpcPort, metrics: svc.metricsPort, bundleDir: cfg.bundleDir, model: svc.holder.current()?.manifest.version ?? null });

stopOnSignals(() => svc.stop(), log);
