// Runs `perf stat -x';' -I <ms> -a -e <events>` as a child process and streams its output lines.
// perf writes its statistics to stderr. When the child dies it is restarted with exponential
// backoff (reset once it has run long enough); stop() ends it with SIGINT, then SIGKILL.
import { spawn, type ChildProcess } from "node:child_process";
import { createLineSplitter } from "./line-splitter.js";

export interface PerfRunnerOptions {
  perfPath: string;
  eventArg: string;
  intervalMs: number;
  /** One perf run's output lines. `run` increases with every (re)start. */
  onLine: (line: string, run: number) => void;
  /** A run ended (before a restart is scheduled). `expected` is true after stop(). */
  onExit?: (info: { run: number; code: number | null; signal: NodeJS.Signals | null; expected: boolean; restartInMs?: number }) => void;
  onError?: (err: Error) => void;
  onStart?: (info: { run: number; pid: number | undefined; args: string[] }) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long resets the backoff. */
  healthyAfterMs?: number;
}

export interface PerfRunner {
  start(): void;
  stop(): Promise<void>;
  readonly pid: number | undefined;
  /** Restarts after an unexpected exit. */
  readonly restarts: number;
}

export function perfStatArgs(eventArg: string, intervalMs: number): string[] {
  return ["stat", "-x", ";", "-I", String(intervalMs), "-a", "-e", eventArg];
}

export function createPerfRunner(opts: PerfRunnerOptions): PerfRunner {
  const initial = opts.initialBackoffMs ?? 500;
  const max = opts.maxBackoffMs ?? 30_000;
  const healthyAfter = opts.healthyAfterMs ?? 60_000;
  let child: ChildProcess | undefined;
  let stopping = false;
  let run = 0;
  let restarts = 0;
  let backoff = initial;
  let timer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = () => {
    timer = undefined;
    if (stopping) return;
    run++;
    const thisRun = run;
    const args = perfStatArgs(opts.eventArg, opts.intervalMs);
    const startedAt = Date.now();
    const c = spawn(opts.perfPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    const split = createLineSplitter((l) => opts.onLine(l, thisRun));
    c.stderr!.setEncoding("utf8");
    c.stdout!.setEncoding("utf8");
    c.stderr!.on("data", (d: string) => split.push(d));
    c.stdout!.on("data", (d: string) => split.push(d));
    let resolveExit!: () => void;
    exited = new Promise((r) => (resolveExit = r));
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      split.end();
      if (child === c) child = undefined;
      if (Date.now() - startedAt >= healthyAfter) backoff = initial;
      if (stopping) {
        opts.onExit?.({ run: thisRun, code, signal, expected: true });
      } else {
        restarts++;
        const delay = backoff;
        backoff = Math.min(max, backoff * 2);
        opts.onExit?.({ run: thisRun, code, signal, expected: false, restartInMs: delay });
        timer = setTimeout(launch, delay);
      }
      resolveExit();
    };
    c.on("error", (err) => {
      opts.onError?.(err);
      finish(null, null);
    });
    c.on("close", (code, signal) => finish(code, signal));
    opts.onStart?.({ run: thisRun, pid: c.pid, args });
  };

  return {
    start() {
      stopping = false;
      if (!child && !timer) launch();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const c = child;
      if (!c) return;
      c.kill("SIGINT");
      const kill = setTimeout(() => c.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(kill);
    },
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
  };
}
