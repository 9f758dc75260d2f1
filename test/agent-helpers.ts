// Helpers for the agent's cross-process tests: a real gRPC IngestNodeStates receiver and a
// spawned agent process (from dist/: `make test` builds before testing).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import type { NodeState } from "../gen/overseer/v1/node_state.js";
import { ScorerServiceService, type IngestNodeStatesRequest, type IngestNodeStatesResponse } from "../gen/overseer/v1/scorer_service.js";

export const REPO = fileURLToPath(new URL("..", import.meta.url));
export const AGENT_MAIN = fileURLToPath(new URL("../dist/cmd/agent/main.js", import.meta.url));

export function requireBuilt(): void {
  if (!existsSync(AGENT_MAIN)) throw new Error(`${AGENT_MAIN} missing: run \`npx tsc -p .\` first (make test does)`);
}

export interface Receiver {
  port: number;
  states: NodeState[];
  streams: number;
  close(): Promise<void>;
  waitFor(pred: (states: NodeState[]) => boolean, timeoutMs: number, what: string): Promise<void>;
}

/** A real grpc-js server implementing ScorerService.IngestNodeStates (other methods: UNIMPLEMENTED). */
export async function startReceiver(port = 0): Promise<Receiver> {
  const server = new grpc.Server();
  const r: Receiver = {
    port: 0,
    states: [],
    streams: 0,
    close: () =>
      new Promise((res) => {
        server.forceShutdown();
        res();
      }),
    waitFor: (pred, timeoutMs, what) => waitUntil(() => pred(r.states), timeoutMs, what),
  };
  server.addService(ScorerServiceService, {
    ingestNodeStates: (call: grpc.ServerReadableStream<IngestNodeStatesRequest, IngestNodeStatesResponse>, cb: grpc.sendUnaryData<IngestNodeStatesResponse>) => {
      r.streams++;
      let accepted = 0;
      call.on("data", (req: IngestNodeStatesRequest) => {
        if (req.state) {
          r.states.push(req.state);
          accepted++;
        }
      });
      call.on("end", () => cb(null, { accepted, ignored: 0, rejected: 0 }));
      call.on("error", () => undefined);
    },
  } as unknown as grpc.UntypedServiceImplementation);
  r.port = await new Promise<number>((res, rej) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return r;
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface AgentProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnAgent(args: string[]): AgentProcess {
  requireBuilt();
  const child = spawn(process.execPath, [AGENT_MAIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let rest = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    rest += d;
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, i);
      rest = rest.slice(i + 1);
      stderr.push(line);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const p: AgentProcess = {
    child,
    logs,
    stderr,
    exited,
    async waitForLog(pred, timeoutMs, what) {
      await waitUntil(() => logs.some(pred), timeoutMs, `${what}; stderr so far:\n${stderr.slice(-15).join("\n")}`);
      return logs.find(pred)!;
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  return p;
}
