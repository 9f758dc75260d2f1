// OverSeer's own processes for the Kubernetes e2e, run from the compiled dist/ (make e2e builds
// it first): regime-svc, scorer-svc watching NodeState objects, the extender, and one agent per
// fake node with the simulator as its counter source, publishing NodeState custom resources.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./cluster.js";
import { freePort, isRunning, startProc, waitFor, type Proc } from "./processes.js";

export const STACK_COMMANDS = ["regime-svc", "scorer-svc", "extender", "agent"] as const;
export type StackCommand = (typeof STACK_COMMANDS)[number];

export const mainJs = (cmd: StackCommand): string => join(repoRoot(), "dist/cmd", cmd, "main.js");

/** dist/cmd/<x>/main.js files that are not there (not written yet, or `npx tsc -p .` not run). */
export function missingCommands(): string[] {
  return STACK_COMMANDS.filter((c) => !existsSync(mainJs(c))).map((c) => `dist/cmd/${c}/main.js`);
}

/** Waits until the process's log has a line matching `re`. */
export async function waitForLog(p: Proc, re: RegExp, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${p.name}: log line ${re}`, async () => re.test(readFileSync(p.logFile, "utf8")), timeoutMs, p, 200);
}

function nodeProc(name: string, cmd: StackCommand, args: string[], logDir: string, extraEnv: NodeJS.ProcessEnv = {}): Proc {
  // A clean environment for the child: no KUBECONFIG or OTEL settings leak in from the caller.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", NO_COLOR: "1", ...extraEnv };
  return startProc(name, process.execPath, [mainJs(cmd), ...args], join(logDir, `${name}.log`), env, repoRoot());
}

export interface ServicePorts {
  regime: number;
  scorer: number;
  extender: number;
}

export async function pickPorts(): Promise<ServicePorts> {
  return { regime: await freePort(), scorer: await freePort(), extender: await freePort() };
}

export function startRegime(ports: ServicePorts, bundleDir: string, logDir: string): Proc {
  return nodeProc("regime-svc", "regime-svc", [`--listen=127.0.0.1:${ports.regime}`, "--metrics-port=0", `--bundle-dir=${bundleDir}`, "--onnx-threads=1"], logDir);
}

export function startScorer(ports: ServicePorts, bundleDir: string, kubeconfig: string, logDir: string, freshness = "10s"): Proc {
  return nodeProc(
    "scorer-svc",
    "scorer-svc",
    [
      `--listen=127.0.0.1:${ports.scorer}`,
      "--metrics-port=0",
      `--bundle-dir=${bundleDir}`,
      `--regime-address=127.0.0.1:${ports.regime}`,
      `--kubeconfig=${kubeconfig}`,
      `--freshness=${freshness}`,
      "--onnx-threads=1",
    ],
    logDir,
  );
}

export function startExtender(ports: ServicePorts, logDir: string, name = "extender"): Proc {
  return nodeProc(name, "extender", [`--listen=127.0.0.1:${ports.extender}`, "--path-prefix=/overseer", `--scorer-address=127.0.0.1:${ports.scorer}`], logDir);
}

export interface SimAgent {
  node: string;
  /** Simulated node variant: spr-full, spr-vm, ... */
  variant: string;
  /** Resident workloads, class[:cores],... ("" = idle). */
  mix: string;
  seed: number;
}

export function startAgent(a: SimAgent, kubeconfig: string, logDir: string, interval = "1s"): Proc {
  return nodeProc(
    `agent-${a.node}`,
    "agent",
    [
      "--source=sim",
      `--node-name=${a.node}`,
      `--agent-id=e2e-agent-${a.node}`,
      `--sim-variant=${a.variant}`,
      `--sim-mix=${a.mix}`,
      `--sim-seed=${a.seed}`,
      `--interval=${interval}`,
      `--kubeconfig=${kubeconfig}`,
      // The custom resource is the only channel here, as in a cluster.
      "--scorer=",
      "--listen=",
      "--metrics-listen=",
    ],
    logDir,
  );
}

export async function stopAll(procs: Iterable<Proc | undefined>): Promise<void> {
  await Promise.all([...procs].filter((p): p is Proc => p !== undefined && isRunning(p)).map((p) => p.stop()));
}
