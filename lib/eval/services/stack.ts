// A private OverSeer serving stack on loopback for evaluation: regime-svc, scorer-svc and the
// extender, either in this process (their real server factories: real gRPC and HTTP servers) or
// as child processes from dist/ (the binaries users run). Both serve `bundleDir` and hot-reload it.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseFlags } from "../../config/flags.js";
import { startExtender } from "../../extender/app.js";
import { parseExtenderConfig } from "../../extender/config.js";
import { REGIME_FLAGS } from "../../regime/config.js";
import { startRegimeService } from "../../regime/regime-server.js";
import { SCORER_FLAGS } from "../../scorer/config.js";
import { startScorerService } from "../../scorer/scorer-server.js";

export interface StackOptions {
  bundleDir: string;
  mode?: "in-process" | "processes";
  /** Bundle poll interval of both services (ms). */
  pollIntervalMs?: number;
  /** scorer-svc freshness bound (ms). The benchmark compresses simulated time, so it sets this to cover the run. */
  freshnessMs?: number;
  /** scorer-svc regime batch flush (ms). */
  regimeFlushMs?: number;
  /** Extra flags per service (processes mode) e.g. ["--onnx-threads", "1"]. */
  extraFlags?: { regime?: string[]; scorer?: string[]; extender?: string[] };
  /** Where dist/ is (processes mode); default: found from this module. */
  distDir?: string;
  startTimeoutMs?: number;
  /** onnxruntime intra-op threads of both services (default 1: the evaluation shares the machine with them). */
  onnxThreads?: number;
}

export interface RunningStack {
  regimeAddress: string;
  scorerAddress: string;
  /** Base URL of the extender verbs, e.g. http://127.0.0.1:PORT/overseer */
  extenderUrl: string;
  mode: "in-process" | "processes";
  stop(): Promise<void>;
}

export class StackError extends Error {}

const quiet = () => undefined;

async function startInProcess(o: StackOptions): Promise<RunningStack> {
  const poll = o.pollIntervalMs ?? 500;
  const regimeFlags = parseFlags([], {}, REGIME_FLAGS);
  const regime = await startRegimeService({ ...regimeFlags, listen: "127.0.0.1:0", metricsPort: 0, bundleDir: o.bundleDir, pollInterval: poll, shutdownGrace: 500, onnxThreads: o.onnxThreads ?? 1 });
  const scorerFlags = parseFlags([], {}, SCORER_FLAGS);
  let scorer: Awaited<ReturnType<typeof startScorerService>>;
  try {
    scorer = await startScorerService({
      ...scorerFlags,
      listen: "127.0.0.1:0",
      metricsPort: 0,
      bundleDir: o.bundleDir,
      pollInterval: poll,
      regimeAddress: `127.0.0.1:${regime.grpcPort}`,
      freshness: o.freshnessMs ?? scorerFlags.freshness,
      regimeFlush: o.regimeFlushMs ?? scorerFlags.regimeFlush,
      // Every decision classifies its candidates' new states itself: evaluation scores each probe
      // with the regime of the state it scores (no high-rate spacing of inline calls).
      decisionClassifyInterval: 0,
      shutdownGrace: 500,
      onnxThreads: o.onnxThreads ?? 1,
      log: quiet,
    });
  } catch (e) {
    await regime.stop();
    throw e;
  }
  const extCfg = parseExtenderConfig(["--listen", "127.0.0.1:0", "--scorer-address", `127.0.0.1:${scorer.grpcPort}`, "--log-level", "error"], {});
  const extender = await startExtender(extCfg);
  return {
    regimeAddress: `127.0.0.1:${regime.grpcPort}`,
    scorerAddress: `127.0.0.1:${scorer.grpcPort}`,
    extenderUrl: `${extender.server.url}${extCfg.pathPrefix}`,
    mode: "in-process",
    async stop() {
      await extender.close();
      await scorer.stop();
      await regime.stop();
    },
  };
}

export function defaultDistDir(): string {
  // lib/eval/services/stack.ts -> repo root, or dist/lib/eval/services/stack.js -> dist
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up3 = path.resolve(here, "../../..");
  return path.basename(up3) === "dist" ? up3 : path.join(up3, "dist");
}

/** Starts `node main.js args`, resolves with the first JSON log line from stderr/stdout that `match` accepts. */
function spawnService(name: string, main: string, args: string[], match: (line: Record<string, unknown>) => string | undefined, timeoutMs: number): Promise<{ child: ChildProcess; value: string }> {
  if (!existsSync(main)) throw new StackError(`${name}: ${main} does not exist (run \`npx tsc -p .\` first)`);
  const child = spawn(process.execPath, [main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let tail = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new StackError(`${name} did not report its address within ${timeoutMs} ms; last output: ${tail.slice(-500)}`));
    }, timeoutMs);
    const onData = (buf: Buffer) => {
      tail = (tail + buf.toString("utf8")).slice(-4000);
      for (const line of buf.toString("utf8").split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const v = match(JSON.parse(line) as Record<string, unknown>);
          if (v !== undefined) {
            clearTimeout(timer);
            resolve({ child, value: v });
          }
        } catch {
          // not JSON
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new StackError(`${name} exited (code ${code}, signal ${sig}) before it was ready; output: ${tail.slice(-800)}`));
    });
  });
}

function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function startProcesses(o: StackOptions): Promise<RunningStack> {
  const dist = o.distDir ?? defaultDistDir();
  const timeout = o.startTimeoutMs ?? 30_000;
  const poll = `${o.pollIntervalMs ?? 500}ms`;
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    for (const c of children.reverse()) await stopChild(c);
  };
  try {
    const port = (l: Record<string, unknown>) => (l.msg === "listening" && typeof l.grpc === "number" ? String(l.grpc) : undefined);
    const regime = await spawnService(
      "regime-svc",
      path.join(dist, "cmd/regime-svc/main.js"),
      ["--listen", "127.0.0.1:0", "--metrics-port", "0", "--bundle-dir", o.bundleDir, "--poll-interval", poll, "--onnx-threads", String(o.onnxThreads ?? 1), ...(o.extraFlags?.regime ?? [])],
      port,
      timeout,
    );
    children.push(regime.child);
    const regimeAddress = `127.0.0.1:${regime.value}`;
    const scorer = await spawnService(
      "scorer-svc",
      path.join(dist, "cmd/scorer-svc/main.js"),
      [
        "--listen", "127.0.0.1:0", "--metrics-port", "0", "--bundle-dir", o.bundleDir, "--poll-interval", poll, "--regime-address", regimeAddress, "--onnx-threads", String(o.onnxThreads ?? 1),
        ...(o.freshnessMs !== undefined ? ["--freshness", `${o.freshnessMs}ms`] : []),
        ...(o.regimeFlushMs !== undefined ? ["--regime-flush", `${o.regimeFlushMs}ms`] : []),
        "--decision-classify-interval", "0ms",
        ...(o.extraFlags?.scorer ?? []),
      ],
      port,
      timeout,
    );
    children.push(scorer.child);
    const scorerAddress = `127.0.0.1:${scorer.value}`;
    const extender = await spawnService(
      "extender",
      path.join(dist, "cmd/extender/main.js"),
      ["--listen", "127.0.0.1:0", "--scorer-address", scorerAddress, "--log-level", "warn", ...(o.extraFlags?.extender ?? [])],
      (l) => (l.msg === "listening" && typeof l.url === "string" ? l.url : undefined),
      timeout,
    );
    children.push(extender.child);
    for (const c of children) {
      c.stdout!.resume();
      c.stderr!.resume();
    }
    return { regimeAddress, scorerAddress, extenderUrl: extender.value, mode: "processes", stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

export function startStack(o: StackOptions): Promise<RunningStack> {
  return (o.mode ?? "in-process") === "processes" ? startProcesses(o) : startInProcess(o);
}
