// Child processes of the e2e harness: spawn with output to a log file, wait for readiness,
// stop with SIGTERM then SIGKILL. Every child is also killed if the test process exits.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, openSync, readFileSync } from "node:fs";
import net from "node:net";

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited (at once if it already had). */
  exited: Promise<void>;
  stop(graceMs?: number): Promise<void>;
  /** Last lines of the log, for error messages. */
  tail(lines?: number): string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) {
      try {
        c.kill("SIGKILL");
      } catch {
        /* already gone */
      }
    }
  });
}

export function startProc(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): Proc {
  installExitHook();
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd], env, cwd });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once("exit", () => {
      live.delete(child);
      resolve();
    });
    child.once("error", (e) => {
      live.delete(child);
      try {
        appendFileSync(logFile, `spawn ${command} failed: ${e.message}\n`);
      } catch {
        /* best effort */
      }
      resolve();
    });
  });
  const tail = (lines = 25): string => {
    try {
      return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };
  return {
    name,
    child,
    logFile,
    exited,
    tail,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function isRunning(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` every `everyMs` until it returns a truthy value or `timeoutMs` passes; fails early
 * when `proc` (if given) exits. Errors thrown by `check` count as "not yet".
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, proc?: Proc, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (proc && !isRunning(proc)) throw new Error(`${what}: ${proc.name} exited (code ${proc.child.exitCode}); log tail:\n${proc.tail()}`);
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}${proc ? `; ${proc.name} log tail:\n${proc.tail()}` : ""}`);
    }
    await sleep(everyMs);
  }
}
