// Child process supervision: start with logs to a file, notice an unexpected exit, stop everything
// with SIGTERM (in reverse start order), wait, and SIGKILL what outlives the grace period.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync, type WriteStream } from "node:fs";
import path from "node:path";

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface SupervisedChild {
  name: string;
  pid: number;
  logPath: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  readonly running: boolean;
}

export class ChildExitedError extends Error {
  constructor(
    readonly child: string,
    readonly how: number | string,
    readonly logTail: string,
  ) {
    super(`${child} exited unexpectedly (${typeof how === "number" ? `code ${how}` : how}); last log lines:\n${logTail}`);
  }
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `  | ${l}`).join("\n");
  } catch {
    return "  | (no log)";
  }
}

export class Supervisor {
  private readonly children: { spec: ChildSpec; proc: ChildProcess; child: SupervisedChild; log: WriteStream }[] = [];
  private stopping = false;
  private unexpected: ((e: ChildExitedError) => void) | undefined;

  constructor(private readonly logDir: string) {
    // Last resort: never leave children behind when the runner itself dies.
    process.once("exit", () => {
      for (const c of this.children) if (c.child.running) c.proc.kill("SIGKILL");
    });
  }

  /** Called once when any child exits before stopAll(). */
  onUnexpectedExit(handler: (e: ChildExitedError) => void): void {
    this.unexpected = handler;
  }

  start(spec: ChildSpec): SupervisedChild {
    const logPath = path.join(this.logDir, `${spec.name}.log`);
    const log = createWriteStream(logPath, { flags: "a" });
    const proc = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
      // Own process group: Ctrl-C in the terminal reaches the runner only, which stops children in order.
      detached: true,
    });
    proc.stdout!.pipe(log, { end: false });
    proc.stderr!.pipe(log, { end: false });
    let running = true;
    const exited = new Promise<number | string>((resolve) => {
      proc.on("error", (err) => {
        log.write(`overseer-local: cannot start ${spec.command}: ${err.message}\n`);
        running = false;
        resolve(`spawn error: ${err.message}`);
      });
      proc.on("exit", (code, signal) => {
        running = false;
        resolve(code ?? signal ?? "unknown");
      });
    });
    const child: SupervisedChild = {
      name: spec.name,
      pid: proc.pid ?? -1,
      logPath,
      exited,
      get running() {
        return running;
      },
    };
    void exited.then((how) => {
      if (!this.stopping) setTimeout(() => this.unexpected?.(new ChildExitedError(spec.name, how, tail(logPath))), 50);
    });
    this.children.push({ spec, proc, child, log });
    return child;
  }

  list(): SupervisedChild[] {
    return this.children.map((c) => c.child);
  }

  /** SIGTERM in reverse start order, wait up to graceMs each, then SIGKILL. Returns how each ended. */
  async stopAll(graceMs: number): Promise<{ name: string; pid: number; how: number | string; killed: boolean }[]> {
    this.stopping = true;
    const out: { name: string; pid: number; how: number | string; killed: boolean }[] = [];
    for (const c of [...this.children].reverse()) {
      let killed = false;
      if (c.child.running) {
        c.proc.kill("SIGTERM");
        const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref());
        if ((await Promise.race([c.child.exited, timer])) === "timeout") {
          c.proc.kill("SIGKILL");
          killed = true;
        }
      }
      const how = await c.child.exited;
      c.log.end();
      out.push({ name: c.spec.name, pid: c.child.pid, how, killed });
    }
    return out.reverse();
  }
}
