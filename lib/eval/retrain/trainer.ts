// Runs the training pipeline as a child process: by default the Python CLI
//   training/.venv/bin/python -m overseer_training.pipeline --corpus DIR --out DIR --seed N
// Any command works (tests use a small fake trainer); {corpus}, {out} and {seed} are substituted.
import { spawn } from "node:child_process";

export interface Trainer {
  /** Writes a bundle into `outDir`; rejects when the process fails, crashes or times out. */
  train(corpusDir: string, outDir: string, seed: number, onLine?: (line: string) => void): Promise<{ seconds: number }>;
}

export class TrainingError extends Error {}

export interface CommandTrainerOptions {
  /** argv with placeholders {corpus}, {out}, {seed}. */
  command: readonly string[];
  cwd?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export function defaultTrainingCommand(python = "training/.venv/bin/python"): string[] {
  return [python, "-m", "overseer_training.pipeline", "--corpus", "{corpus}", "--out", "{out}", "--seed", "{seed}", "--skip-stability"];
}

export function createCommandTrainer(o: CommandTrainerOptions): Trainer {
  if (o.command.length === 0) throw new TrainingError("the training command is empty");
  return {
    train(corpusDir, outDir, seed, onLine) {
      const argv = o.command.map((a) => a.replaceAll("{corpus}", corpusDir).replaceAll("{out}", outDir).replaceAll("{seed}", String(seed)));
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ["ignore", "pipe", "pipe"] });
        let tail = "";
        let killedForTimeout = false;
        const timer = o.timeoutMs
          ? setTimeout(() => {
              killedForTimeout = true;
              child.kill("SIGKILL");
            }, o.timeoutMs)
          : undefined;
        const onData = (b: Buffer) => {
          const s = b.toString("utf8");
          tail = (tail + s).slice(-2000);
          if (onLine) for (const l of s.split("\n")) if (l.trim()) onLine(l);
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.once("error", (e) => {
          if (timer) clearTimeout(timer);
          reject(new TrainingError(`cannot start ${argv[0]}: ${e.message}`));
        });
        child.once("close", (code, signal) => {
          if (timer) clearTimeout(timer);
          if (code === 0) resolve({ seconds: (performance.now() - started) / 1000 });
          else if (killedForTimeout) reject(new TrainingError(`training timed out after ${o.timeoutMs} ms`));
          else reject(new TrainingError(`training ${signal ? `was killed by ${signal}` : `exited with code ${code}`}: ${tail.trim().split("\n").slice(-3).join(" | ")}`));
        });
      });
    },
  };
}
