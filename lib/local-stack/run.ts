// The whole local run after prepareRun(): services, agents, (Prometheus), the scenario, the summary,
// then a clean stop (or, with --keep-running, wait for Ctrl-C first).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { loadWorkloadCatalog } from "../sim/index.js";
import { runDriver, type Decision } from "./driver.js";
import { startPrometheus } from "./observability.js";
import { firstTraceWithService } from "./trace-pick.js";
import { podArrivals } from "./pod-arrivals.js";
import type { PreparedRun } from "./prepare.js";
import { progressLine } from "./progress.js";
import type { ScrapeJob } from "./prometheus-config.js";
import { waitUntil } from "./readiness.js";
import { createExtenderClient } from "./scheduler-client.js";
import { createScorerCalls } from "./scorer-calls.js";
import { startServices } from "./services.js";
import { computeSummary, formatSummary, type Endpoint, type RunFacts } from "./summary.js";
import type { ChildExitedError } from "./supervisor.js";
import { untraced } from "./untraced.js";
import { startWorldAgent, type RunningWorldAgent } from "./world-agent.js";
import { SimWorld } from "./world.js";

export interface RunIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
function interruption(): { signal: AbortSignal; wait: Promise<string> } {
  const ac = new AbortController();
  const wait = new Promise<string>((resolve) => {
    let count = 0;
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.on(sig, () => {
        count++;
        if (count > 1) process.exit(130);
        ac.abort();
        resolve(sig);
      });
    }
  });
  return { signal: ac.signal, wait };
}

export async function runLocalStack(p: PreparedRun, io: RunIo): Promise<number> {
  const { cfg, sup } = p;
  const stop = interruption();
  let crashed: ChildExitedError | undefined;
  const crash = new Promise<ChildExitedError>((resolve) => sup.onUnexpectedExit((e) => resolve((crashed = e))));
  const agents: RunningWorldAgent[] = [];
  let scorer: ReturnType<typeof createScorerCalls> | undefined;
  const cleanup = async () => {
    io.out("stopping: agents, then every process (SIGTERM, wait) ...");
    await Promise.all(agents.map((a) => a.close().catch(() => undefined)));
    scorer?.close();
    const ended = await sup.stopAll(cfg.stopGraceMs);
    const killed = ended.filter((e) => e.killed).map((e) => e.name);
    io.out(killed.length > 0 ? `stopped; killed after ${cfg.stopGraceMs} ms: ${killed.join(", ")}` : `stopped cleanly: ${ended.map((e) => `${e.name} (pid ${e.pid}, exit ${e.how})`).join(", ") || "nothing was running"}`);
  };

  try {
    for (const n of p.notes) io.out(`note: ${n}`);
    const catalog = loadWorkloadCatalog();
    const durationSec = cfg.durationMs / 1000;
    const world = new SimWorld(catalog, { nodes: cfg.nodes, seed: cfg.seed, durationSec });
    const defaultWorld = new SimWorld(catalog, { nodes: cfg.nodes, seed: cfg.seed, durationSec });

    io.out(`starting regime-svc, scorer-svc, extender (bundle ${cfg.bundleDir}; logs in ${p.runDir}) ...`);
    const svc = await Promise.race([startServices(sup, { root: p.root, bundleDir: cfg.bundleDir, startTimeoutMs: cfg.startTimeoutMs, env: p.telemetryEnv }), crash.then((e) => Promise.reject(e))]);
    scorer = createScorerCalls(svc.scorerAddress);

    io.out(`starting ${cfg.nodes} agents on simulated nodes (${world.nodes.map((n) => n.variant).join(", ")}) ...`);
    // Scenario time starts now: the agents' first windows already see the initial neighbours.
    let startMs = Date.now();
    for (const n of world.nodes) {
      agents.push(await startWorldAgent({ world, nodeName: n.name, intervalMs: cfg.agentIntervalMs, scorerAddress: svc.scorerAddress, startMs, onLog: (level, msg, fields) => level !== "info" && io.err(`agent ${n.name}: ${msg} ${JSON.stringify(fields ?? {})}`) }));
    }
    await untraced(() =>
      waitUntil(
        async () => {
          const s = await scorer!.staleNodes();
          return s.total === cfg.nodes && s.stale === 0;
        },
        { timeoutMs: cfg.startTimeoutMs, what: "scorer-svc receiving a fresh NodeState from every agent" },
      ),
    );

    let prometheusUrl: string | undefined;
    if (cfg.withObservability) {
      const jobs: ScrapeJob[] = [
        { job: "overseer-regime-svc", targets: [`127.0.0.1:${svc.ports.regimeMetrics}`] },
        { job: "overseer-scorer-svc", targets: [`127.0.0.1:${svc.ports.scorerMetrics}`] },
        { job: "overseer-extender", targets: [`127.0.0.1:${svc.ports.extenderHttp}`] },
        { job: "overseer-agent", targets: agents.map((a) => `127.0.0.1:${a.metricsPort}`), labels: agents.map((a) => ({ node: a.nodeName })) },
      ];
      io.out("starting prometheus ...");
      const prom = await startPrometheus(sup, p.root, p.runDir, jobs, cfg.startTimeoutMs);
      if ("skipped" in prom) io.out(`note: ${prom.skipped}`);
      else prometheusUrl = prom.url;
    }

    const arrivals = podArrivals(catalog, { seed: cfg.seed, durationMs: cfg.durationMs, meanGapMs: cfg.podIntervalMs, maxSlowdown: cfg.maxSlowdown });
    io.out(`stack ready. scenario: ${arrivals.length} CNF pods over ${durationSec} s, seed ${cfg.seed}; each line: pod -> OverSeer's node | the default scheduler's node`);
    startMs = Date.now();
    const decisions: Decision[] = [];
    const driven = runDriver({
      arrivals,
      world,
      defaultWorld,
      extender: createExtenderClient(svc.extenderUrl),
      scorer,
      extenderWeight: cfg.extenderWeight,
      seed: cfg.seed,
      startMs,
      signal: stop.signal,
      onDecision: (d) => {
        decisions.push(d);
        io.out(progressLine(d, durationSec));
      },
    });
    const outcome = await Promise.race([driven.then(() => "done" as const), crash.then(() => "crash" as const)]);
    if (outcome === "crash") throw crashed!;
    const elapsedSec = (Date.now() - startMs) / 1000;
    // Let the last spans leave every process (OTEL_BSP_SCHEDULE_DELAY is 500 ms) before the summary points at them.
    if (p.tracing) await new Promise((r) => setTimeout(r, 1500));
    // Point the summary at a decision trace that really reaches regime-svc (asked of the run's own Jaeger).
    const regimeTrace = p.jaeger && p.tracing
      ? { checked: true, traceId: await firstTraceWithService(p.jaeger.queryUrl, decisions.flatMap((d) => (d.traceId ? [d.traceId] : [])), "regime-svc") }
      : undefined;

    const endpoints: Endpoint[] = [
      { name: "extender", http: svc.extenderUrl, metrics: `http://127.0.0.1:${svc.ports.extenderHttp}/metrics` },
      { name: "scorer-svc", grpc: svc.scorerAddress, metrics: `http://127.0.0.1:${svc.ports.scorerMetrics}/metrics` },
      { name: "regime-svc", grpc: `127.0.0.1:${svc.ports.regimeGrpc}`, metrics: `http://127.0.0.1:${svc.ports.regimeMetrics}/metrics` },
      ...agents.map((a) => ({ name: a.nodeName, grpc: `127.0.0.1:${a.grpcPort}`, metrics: `http://127.0.0.1:${a.metricsPort}/metrics` })),
    ];
    const facts: RunFacts = {
      seed: cfg.seed,
      nodes: world.nodes.map((n) => ({ name: n.name, variant: n.variant })),
      plannedDurationMs: cfg.durationMs,
      elapsedSec,
      maxSlowdown: cfg.maxSlowdown,
      extenderWeight: cfg.extenderWeight,
      churn: { ...world.churn },
      decisions,
      endSlowdown: { overseer: byPod(world), default: byPod(defaultWorld) },
      staleNodes: await untraced(() => scorer!.staleNodes()).catch((e: Error) => ({ error: e.message })),
      endpoints,
      prometheusUrl,
      jaegerUrl: p.jaeger?.queryUrl,
      tracing: p.tracing,
      regimeTrace,
      runDir: p.runDir,
    };
    const summary = computeSummary(facts);
    writeFileSync(path.join(p.runDir, "summary.json"), JSON.stringify({ summary, decisions, endpoints, prometheusUrl, jaegerUrl: p.jaeger?.queryUrl }, null, 2) + "\n");
    io.out(formatSummary(summary, facts));

    if (cfg.keepRunning && !stop.signal.aborted) {
      io.out("--keep-running: the stack stays up (agents keep publishing). Try:");
      io.out(`  grpcurl -plaintext ${svc.scorerAddress} list`);
      io.out(`  grpcurl -plaintext -d '{"fresh_only": true}' ${svc.scorerAddress} overseer.v1.ScorerService/ListNodeStates`);
      io.out("Ctrl-C stops everything.");
      await Promise.race([stop.wait, crash]);
      if (crashed) throw crashed;
    }
    await cleanup();
    // Unschedulable pods are an answer; an error means part of the stack did not work.
    return summary.pods.errors === 0 && summary.pods.sent > 0 ? 0 : 1;
  } catch (e) {
    io.err(`overseer-local: ${(e as Error).message}`);
    await cleanup();
    return 1;
  }
}

function byPod(world: SimWorld): Record<string, number> {
  const slow = world.currentSlowdowns();
  const out: Record<string, number> = {};
  for (const n of world.nodes) for (const p of n.placed) out[`${p.podNamespace}/${p.podName}`] = slow.get(p.podUid)!;
  return out;
}
