// scorer-svc: newest NodeState per node, interference model, scores for the extender.
import { loadConfigOrExit } from "../../lib/config/flags.js";
import { jsonLog } from "../../lib/bundle/json-log.js";
import { stopOnSignals } from "../../lib/bundle/stop-on-signals.js";
import { SCORER_FLAGS } from "../../lib/scorer/config.js";
import { startScorerService } from "../../lib/scorer/scorer-server.js";

const cfg = loadConfigOrExit("scorer-svc", "Keeps the newest NodeState per node and scores candidate nodes for a workload (ONNX interference model).", SCORER_FLAGS);
const log = jsonLog("scorer-svc");
const clusterMode = cfg.kubeconfig !== "" || cfg.inCluster;
const startWatch = clusterMode
  ? async (...args: Parameters<NonNullable<Parameters<typeof startScorerService>[0]["startWatch"]>>) => {
      const { startNodeStateWatch } = await import("../../lib/scorer/nodestate-watch.js");
      return startNodeStateWatch({ kubeconfig: cfg.kubeconfig, inCluster: cfg.inCluster, store: args[0], onAccepted: args[1], metrics: args[2], log, onClassified: cfg.patchRegime ? args[3] : undefined });
    }
  : undefined;
const svc = await startScorerService({ ...cfg, log, defaultMetrics: true, startWatch });
log("info", "listening", { grpc: svc.grpcPort, metrics: svc.metricsPort, bundleDir: cfg.bundleDir, model: svc.holder.current()?.manifest.version ?? null, regime: cfg.regimeAddress, clusterMode });

stopOnSignals(() => svc.stop(), log);
