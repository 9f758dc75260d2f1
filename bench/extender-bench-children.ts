// Child processes of bench/extender-prioritize.ts --processes, so that the bench looks like the
// deployment (kube-scheduler, the extender and scorer-svc are separate processes):
//   regime    regime-svc (its own process, as the local stack and deploy/ run it)
//   scorer    scorer-svc (calling that regime-svc) and the constant grpc-js scorer of the
//             extender+fake row; measures raw inference on request
//   extender  the extender twice per --scorer-transports entry (towards the constant scorer and
//             towards scorer-svc) and the no-op floor endpoint
// Each child reports its main thread's GC pauses in a time window (to attribute slow calls) and
// its own process CPU (user+system) on request, so CPU per call is measured
// per process. Parent <-> child: Node IPC messages {id, op, ...} -> {id, value | error}.
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { startExtender, type Extender } from "../lib/extender/app.js";
import { parseExtenderConfig, type ScorerTransport } from "../lib/extender/config.js";
import { silentLogger } from "../lib/extender/log.js";
import { startConstantScorer, startNoopEndpoint, startRealRegime, startRealScorer } from "./extender-bench-servers.js";
import { GcPauses } from "./gc-pauses.js";

export interface RegimeChildInfo {
  address: string;
  bundleDir: string;
  bundleSource: string;
}

export interface ScorerChildInfo {
  fakeAddress: string;
  realAddress: string | undefined;
  bundleSource: string;
  modelVersion: string;
}

/** One extender pair (towards the constant scorer and towards scorer-svc) per --scorer-transport. */
export interface ExtenderPorts {
  transport: ScorerTransport;
  fakePort: number;
  realPort: number | undefined;
}

export interface ExtenderChildInfo {
  floorPort: number;
  extenders: ExtenderPorts[];
}

export interface Child<I> {
  info: I;
  pid: number;
  ask<T>(op: string, args?: Record<string, unknown>): Promise<T>;
  /** Process CPU (user+system) in ms since the child started. */
  cpuMs(): Promise<number>;
  /** The child main thread's GC pauses overlapping [t0, t1) (epoch ms). */
  gcPauses(t0: number, t1: number): Promise<{ start: number; ms: number }[]>;
  stop(): Promise<void>;
}

/**
 * Forks this file as `role` and waits for its ready message. With `telemetry`, the child runs
 * under the services' OpenTelemetry preload (lib/telemetry/preload.ts: HTTP and gRPC
 * instrumentation, spans recorded) with OTEL_TRACES_EXPORTER=none, so tracing costs what it costs
 * in a deployment except the export itself.
 */
/** scorer-svc's Node options as deployed (NODE_OPTIONS in deploy/scorer-svc.yaml: its young generation). */
function deployedScorerNodeOptions(): string[] {
  const yaml = readFileSync(new URL("../../deploy/scorer-svc.yaml", import.meta.url), "utf8");
  const m = /name: NODE_OPTIONS, value: "([^"]*)"/.exec(yaml);
  if (!m) throw new Error("deploy/scorer-svc.yaml: no NODE_OPTIONS entry (the bench runs scorer-svc as deployed)");
  return m[1]!.split(/\s+/).filter(Boolean);
}

export async function forkChild<I>(role: "regime" | "scorer" | "extender", args: Record<string, unknown>, telemetry = false): Promise<Child<I>> {
  const preload = new URL("../lib/telemetry/preload.js", import.meta.url).href;
  const child: ChildProcess = fork(new URL(import.meta.url), [role, JSON.stringify(args)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...process.execArgv, ...(role === "scorer" ? deployedScorerNodeOptions() : []), ...(telemetry ? ["--import", preload] : [])],
    env: telemetry
      ? { ...process.env, OTEL_SDK_DISABLED: "false", OTEL_TRACES_EXPORTER: "none", OTEL_SERVICE_NAME: role === "extender" ? "extender" : role === "regime" ? "regime-svc" : "scorer-svc" }
      : { ...process.env, OTEL_SDK_DISABLED: "true" },
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const info = await new Promise<I>((resolve, reject) => {
    child.once("message", (m: { ready?: I; error?: string }) => (m.ready ? resolve(m.ready) : reject(new Error(`${role} child: ${m.error}`))));
    child.once("exit", (code) => reject(new Error(`${role} child exited (${code}) before it was ready`)));
  });
  child.on("message", (m: { id: number; value?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${role} child: ${m.error}`));
    else p.resolve(m.value);
  });
  const ask = <T>(op: string, a: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...a, id, op });
    });
  return {
    info,
    pid: child.pid!,
    ask,
    cpuMs: () => ask<number>("cpu"),
    gcPauses: (t0, t1) => ask("gc", { t0, t1 }),
    async stop() {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      await ask("stop").catch(() => undefined);
      child.disconnect();
      await exited;
    },
  };
}

type Handler = (m: Record<string, unknown>) => Promise<unknown>;

function serve(ready: unknown, handlers: Record<string, Handler>, stop: () => Promise<void>): void {
  const gc = new GcPauses();
  process.send!({ ready });
  process.on("message", async (m: Record<string, unknown> & { id: number; op: string }) => {
    try {
      if (m.op === "cpu") {
        const c = process.cpuUsage();
        process.send!({ id: m.id, value: (c.user + c.system) / 1000 });
      } else if (m.op === "gc") {
        // GC entries are delivered asynchronously: let the observer catch up first.
        await new Promise((r) => setImmediate(r));
        process.send!({ id: m.id, value: gc.pausesEpoch(m.t0 as number, m.t1 as number) });
      } else if (m.op === "stop") {
        gc.stop();
        await stop();
        process.send!({ id: m.id, value: true });
      } else {
        const h = handlers[m.op];
        if (!h) throw new Error(`unknown op ${m.op}`);
        process.send!({ id: m.id, value: await h(m) });
      }
    } catch (e) {
      process.send!({ id: m.id, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

async function regimeMain(a: { onnxThreads: number; bundleDir?: string }): Promise<void> {
  const regime = await startRealRegime(a.onnxThreads, a.bundleDir);
  const info: RegimeChildInfo = { address: regime.address, bundleDir: regime.bundleDir, bundleSource: regime.bundleSource };
  serve(info, {}, () => regime.stop());
}

async function scorerMain(a: { nodes: number; onnxThreads: number; regime?: RegimeChildInfo; decisionClassifyMax?: number; bufferGcMb?: number }): Promise<void> {
  const fake = await startConstantScorer();
  const real = a.regime ? await startRealScorer(a.nodes, a.onnxThreads, undefined, { decisionClassifyMax: a.decisionClassifyMax, remoteRegime: a.regime, bufferGcMb: a.bufferGcMb }) : undefined;
  const info: ScorerChildInfo = {
    fakeAddress: fake.address,
    realAddress: real?.address,
    bundleSource: real?.bundleSource ?? "-",
    modelVersion: real?.modelVersion ?? "-",
  };
  serve(
    info,
    {
      inference: async (m) => real!.measureInference(m.rows as number, m.seconds as number),
      cacheMetrics: async () => (real ? real.cacheMetrics() : []),
    },
    async () => {
      fake.close();
      await real?.stop();
    },
  );
}

async function extenderMain(a: { fakeAddress: string; realAddress?: string; transports: ScorerTransport[] }): Promise<void> {
  const floor = await startNoopEndpoint();
  const argv = ["--listen", "127.0.0.1:0", "--breaker-failures", "1000000"];
  const start = (address: string, transport: ScorerTransport) =>
    startExtender(parseExtenderConfig([...argv, "--scorer-address", address, "--scorer-transport", transport], {}), { registry: new Registry(), logger: silentLogger });
  const running: { transport: ScorerTransport; fake: Extender; real: Extender | undefined }[] = [];
  for (const transport of a.transports) {
    running.push({ transport, fake: await start(a.fakeAddress, transport), real: a.realAddress ? await start(a.realAddress, transport) : undefined });
  }
  const info: ExtenderChildInfo = {
    floorPort: floor.port,
    extenders: running.map((r) => ({ transport: r.transport, fakePort: r.fake.server.port, realPort: r.real?.server.port })),
  };
  serve(
    info,
    {
      /** Degraded answers so far by extender ("fake" | "real", transport): a run with any is not comparable. */
      degraded: async (m) => {
        const pair = running.find((r) => r.transport === m.transport);
        const ext = m.which === "real" ? pair?.real : pair?.fake;
        const text = ext ? await ext.registry.getSingleMetricAsString("overseer_extender_degraded_total") : "";
        return /_total\{/.test(text);
      },
    },
    async () => {
      for (const r of running) {
        await r.fake.close();
        await r.real?.close();
      }
      floor.close();
    },
  );
}

const ROLES: Record<string, (args: never) => Promise<void>> = { regime: regimeMain, scorer: scorerMain, extender: extenderMain };

if (process.send && process.argv[2] !== undefined && ROLES[process.argv[2]]) {
  const args = JSON.parse(process.argv[3] ?? "{}") as never;
  ROLES[process.argv[2]]!(args).catch((e: unknown) => {
    process.send!({ error: e instanceof Error ? e.stack : String(e) });
    process.exit(1);
  });
  // The parent going away ends the child.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 200).unref());
}
