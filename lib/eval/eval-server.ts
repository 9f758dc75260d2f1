// Assembles the EvalService server from validated flags: report store, bundle registry, trainer,
// gRPC server (reflection + health) and the optional periodic drift check.
import path from "node:path";
import { EvalServiceService } from "../../gen/overseer/v1/eval_service.js";
import { startGrpcServer } from "../grpc/server.js";
import { splitCommand, type ServeFlags } from "./config.js";
import { ReportStore } from "./report/store.js";
import { BundleRegistry } from "./retrain/bundle-registry.js";
import { createCommandTrainer } from "./retrain/trainer.js";
import { createEvalService, type EvalJobs } from "./service.js";

export const EVAL_SERVICE_NAME = "overseer.v1.EvalService";

export interface RunningEvalService {
  port: number;
  jobs: EvalJobs;
  registry?: BundleRegistry;
  stop(): Promise<void>;
}

export async function startEvalService(cfg: Omit<ServeFlags, "help">, progress: (line: string) => void): Promise<RunningEvalService> {
  const reports = new ReportStore(path.resolve(cfg.reportsDir));
  let registry: BundleRegistry | undefined;
  if (cfg.registryDir) {
    registry = new BundleRegistry(path.resolve(cfg.registryDir));
    await registry.init(cfg.initialBundle ? path.resolve(cfg.initialBundle) : undefined);
  }
  const jobs = createEvalService({
    ctx: { reports, progress },
    scorerAddress: cfg.scorerAddress,
    regimeAddress: cfg.regimeAddress,
    heldOutCorpus: cfg.heldOutCorpus ? path.resolve(cfg.heldOutCorpus) : "",
    heldOutDefaults: { seed: cfg.heldOutSeed, nodes: 8, intervals: 6, mix: "" },
    corporaCacheDir: path.join(path.resolve(cfg.reportsDir), "corpora"),
    placement: {
      bundleDir: async () => (cfg.bundleDir ? path.resolve(cfg.bundleDir) : registry ? registry.championDir() : path.resolve("models/default")),
      stack: cfg.stack as "in-process" | "processes",
      maxNodes: cfg.maxNodes,
      maxPods: cfg.maxPods,
      defaultNodes: 200,
      defaultPods: 1000,
      defaultSeed: 1001,
    },
    retraining: registry
      ? {
          registry,
          trainer: createCommandTrainer({ command: splitCommand(cfg.trainingCommand), timeoutMs: cfg.trainingTimeout }),
          corpusRoot: path.resolve(cfg.corpusRoot),
          seed: cfg.trainingSeed,
          bounds: { maxSlowdownMape: cfg.maxSlowdownMape, minUpperBoundCoverage: cfg.minCoverage },
        }
      : undefined,
  });
  const server = await startGrpcServer({ address: cfg.listen, services: [{ name: EVAL_SERVICE_NAME, definition: EvalServiceService, implementation: jobs.impl }] });
  server.setServing(EVAL_SERVICE_NAME, true);
  let timer: NodeJS.Timeout | undefined;
  if (cfg.driftCheckInterval > 0) {
    timer = setInterval(() => {
      jobs.checkDrift().then(
        (r) => progress(`[drift] check ${r.reportId}: ${r.drifted ? `drifted (${r.reasons.join("; ")}), promoted: ${r.promoted ?? false}` : "within bounds"}`),
        (e: Error) => progress(`[drift] check skipped or failed: ${e.message}`),
      );
    }, cfg.driftCheckInterval);
    timer.unref();
  }
  return {
    port: server.port,
    jobs,
    registry,
    async stop() {
      if (timer) clearInterval(timer);
      await server.shutdown(2000);
    },
  };
}
