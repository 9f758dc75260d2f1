// The placement half of the Kubernetes e2e: agents (sim source) publish NodeState objects,
// scorer-svc watches them, kube-scheduler calls the extender with deploy/scheduler-config.yaml,
// and pods are bound by the real scheduler. Registered inside a vitest describe.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dumpYaml, loadYaml } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { writeTestBundle } from "../../lib/bundle/testing/make-test-bundle.js";
import { repoRoot, startScheduler, type ControlPlane } from "./cluster.js";
import { NODESTATES, nodeObject, podObject } from "./fixtures.js";
import { kubeOk } from "./kube-http.js";
import { pickPorts, startAgent, startExtender, startRegime, startScorer, stopAll, waitForLog, type ServicePorts, type SimAgent } from "./overseer-stack.js";
import { waitFor, type Proc } from "./processes.js";

export const SCORER_USER = "system:serviceaccount:overseer-system:overseer-scorer";

export interface PlacementNode extends SimAgent {
  cpu: string;
  memory: string;
  /** quiet: nothing heavy resident; noisy: memory bandwidth saturated; vm-quiet: idle VM without uncore PMUs (memory bandwidth unknown). */
  role: "quiet" | "noisy" | "vm-quiet";
}

// The noisy nodes are the larger ones, so kube-scheduler's own scoring (LeastAllocated) prefers
// them: a CNF that lands on a quiet node got there because of OverSeer. The VM is a little smaller
// than the quiet SPR nodes, so when OverSeer scores them alike the SPR nodes win the tie.
export const PLACEMENT_NODES: PlacementNode[] = [
  { node: "spr-quiet-1", role: "quiet", variant: "spr-full", mix: "", seed: 11, cpu: "64", memory: "256Gi" },
  { node: "spr-quiet-2", role: "quiet", variant: "spr-full", mix: "firewall-64b:4", seed: 12, cpu: "64", memory: "256Gi" },
  { node: "spr-noisy-1", role: "noisy", variant: "spr-full", mix: "mem-bw-streamer:64,mem-bw-streamer:48", seed: 13, cpu: "224", memory: "1Ti" },
  { node: "spr-noisy-2", role: "noisy", variant: "spr-full", mix: "mem-bw-streamer:64,llc-thrasher:32", seed: 14, cpu: "224", memory: "1Ti" },
  { node: "vm-1", role: "vm-quiet", variant: "spr-vm", mix: "", seed: 15, cpu: "48", memory: "192Gi" },
];

const NS = "cnf-e2e";

export interface SuiteEnv {
  cp: ControlPlane;
  dir: string;
  adminKc: string;
}

/** A CNF class the bundle has a profile for (the default bundle's catalog names, or the synthetic test bundle's). */
function cnfClass(bundleDir: string): string {
  const m = JSON.parse(readFileSync(join(bundleDir, "manifest.json"), "utf8")) as { workload_profiles?: Record<string, { isCnf?: boolean }> };
  const profiles = m.workload_profiles ?? {};
  for (const preferred of ["upf-64b", "upf"]) if (profiles[preferred]?.isCnf) return preferred;
  const any = Object.entries(profiles).find(([, p]) => p.isCnf);
  if (!any) throw new Error(`bundle ${bundleDir} has no CNF workload profile`);
  return any[0];
}

/** What the extender answers kube-scheduler's prioritize for a CNF pod of class `cls` on every node. */
async function prioritizeScores(port: number, cls: string, nodes: string[]): Promise<Record<string, number>> {
  const pod = { metadata: { name: "probe", namespace: NS, uid: "probe-uid", annotations: { "overseer.io/workload-class": cls } }, spec: { containers: [] } };
  const r = await fetch(`http://127.0.0.1:${port}/overseer/prioritize`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ Pod: pod, NodeNames: nodes }) });
  if (!r.ok) throw new Error(`prioritize probe: HTTP ${r.status}: ${await r.text()}`);
  return Object.fromEntries(((await r.json()) as { Host: string; Score: number }[]).map((h) => [h.Host, h.Score]));
}

async function extenderCounter(port: number, verb: string, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const re = new RegExp(`^overseer_extender_decisions_total\\{[^}]*verb="${verb}"[^}]*outcome="${outcome}"[^}]*\\} (\\S+)$|^overseer_extender_decisions_total\\{[^}]*outcome="${outcome}"[^}]*verb="${verb}"[^}]*\\} (\\S+)$`, "m");
  const m = re.exec(text);
  return m ? Number(m[1] ?? m[2]) : 0;
}

export function placementSuite(get: () => SuiteEnv): void {
  const procs: { agents: Proc[]; regime?: Proc; scorer?: Proc; extender?: Proc; scheduler?: Proc } = { agents: [] };
  let ports: ServicePorts;
  let cls = "";
  let podSeq = 0;
  const quiet = PLACEMENT_NODES.filter((n) => n.role === "quiet").map((n) => n.node);
  const noisy = PLACEMENT_NODES.filter((n) => n.role === "noisy").map((n) => n.node);

  const createPod = async (cnf: boolean): Promise<string> => {
    const { cp } = get();
    const name = `${cnf ? "cnf" : "plain"}-${++podSeq}`;
    const annotations: Record<string, string> = cnf ? { "overseer.io/workload-class": cls } : {};
    await kubeOk(cp, cp.admin.token, "POST", `/api/v1/namespaces/${NS}/pods`, podObject({ name, namespace: NS, annotations, cpu: "4", memory: "8Gi" }));
    return name;
  };
  const boundNode = async (pod: string, timeoutMs = 60_000): Promise<string> => {
    const { cp } = get();
    return waitFor(
      `pod ${pod} bound`,
      async () => (await kubeOk(cp, cp.admin.token, "GET", `/api/v1/namespaces/${NS}/pods/${pod}`)).spec?.nodeName as string | undefined,
      timeoutMs,
      procs.scheduler,
      250,
    );
  };
  const schedule = async (cnf: boolean) => boundNode(await createPod(cnf));

  beforeAll(async () => {
    const { cp, dir } = get();
    const logs = join(dir, "logs");
    for (const n of PLACEMENT_NODES) await kubeOk(cp, cp.admin.token, "POST", "/api/v1/nodes", nodeObject({ name: n.node, cpu: n.cpu, memory: n.memory }));
    await kubeOk(cp, cp.admin.token, "POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    // No controller-manager: create the namespace's default ServiceAccount ourselves.
    await kubeOk(cp, cp.admin.token, "POST", `/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default" } });

    const shipped = join(repoRoot(), "models/default");
    const bundleDir = existsSync(join(shipped, "manifest.json")) ? shipped : join(dir, "bundle");
    if (bundleDir !== shipped) await writeTestBundle(bundleDir);
    cls = cnfClass(bundleDir);

    ports = await pickPorts();
    procs.regime = startRegime(ports, bundleDir, logs);
    procs.scorer = startScorer(ports, bundleDir, cp.kubeconfig(cp.extra.get(SCORER_USER)!), logs);
    for (const n of PLACEMENT_NODES) procs.agents.push(startAgent(n, cp.kubeconfig(cp.agents.get(n.node)!), logs));
    procs.extender = startExtender(ports, logs);
    await waitForLog(procs.regime, /"listening"/);
    await waitForLog(procs.scorer, /"listening"/);
    await waitForLog(procs.extender, /"listening"/);

    // Every agent has published a few states through the API server.
    await waitFor(
      "NodeState objects from every agent",
      async () => {
        const list = await kubeOk(cp, cp.admin.token, "GET", NODESTATES);
        const seq = new Map<string, number>((list.items as { metadata: { name: string }; status?: { sequence?: number } }[]).map((o) => [o.metadata.name, o.status?.sequence ?? 0]));
        return PLACEMENT_NODES.every((n) => (seq.get(n.node) ?? 0) >= 2);
      },
      90_000,
    );

    // kube-scheduler with the project's own configuration, pointed at this cluster and extender.
    const cfg = loadYaml<Record<string, any>>(readFileSync(join(repoRoot(), "deploy/scheduler-config.yaml"), "utf8")); // eslint-disable-line @typescript-eslint/no-explicit-any
    cfg.clientConnection = { ...(cfg.clientConnection ?? {}), kubeconfig: cp.kubeconfig(cp.scheduler) };
    cfg.leaderElection = { leaderElect: false };
    for (const e of cfg.extenders ?? []) e.urlPrefix = String(e.urlPrefix).replace(/^http:\/\/127\.0\.0\.1:\d+/, `http://127.0.0.1:${ports.extender}`);
    const cfgFile = join(dir, "scheduler-config.yaml");
    writeFileSync(cfgFile, dumpYaml(cfg));
    procs.scheduler = await startScheduler(cp, cfgFile);
  }, 240_000);

  afterAll(async () => {
    await stopAll([procs.scheduler, procs.extender, ...procs.agents, procs.scorer, procs.regime]);
  });

  it("a pod without OverSeer annotations schedules normally: kube-scheduler's own choice stands", async () => {
    const node = await schedule(false);
    console.info(`[k8s-e2e] plain pod went to ${node}`);
    // The extender passes it through with equal scores, so LeastAllocated picks a largest node,
    // which here is a saturated one: OverSeer does not steer pods that are not CNFs.
    expect(noisy).toContain(node);
  }, 90_000);

  it("CNF pods bind on the quiet nodes, away from the memory-bandwidth-saturated ones", async () => {
    const all = PLACEMENT_NODES.map((n) => n.node);
    const scores = await prioritizeScores(ports.extender, cls, all);
    // OverSeer's own view before any placement: every quiet SPR node outscores every saturated one.
    for (const q of quiet) for (const n of noisy) expect(scores[q]!, `scores ${JSON.stringify(scores)}`).toBeGreaterThan(scores[n]!);
    const before = await extenderCounter(ports.extender, "prioritize", "scored");
    const placed: string[] = [];
    for (let i = 0; i < 4; i++) placed.push(await schedule(true));
    const why = `CNF pods went to ${placed.join(", ")}; scores before: ${JSON.stringify(scores)}, after: ${JSON.stringify(await prioritizeScores(ports.extender, cls, all))}`;
    // The first goes to a quiet, fully observed SPR node; none goes to a saturated node, although
    // kube-scheduler's own scoring prefers those (they are the larger nodes).
    console.info(`[k8s-e2e] ${why}`);
    expect(quiet, why).toContain(placed[0]);
    for (const node of placed) expect(noisy, why).not.toContain(node);
    expect(await extenderCounter(ports.extender, "prioritize", "scored")).toBeGreaterThanOrEqual(before + 4);
  }, 120_000);

  it("extender stopped: pods still schedule (ignorable: true); restarted: OverSeer steers again", async () => {
    await procs.extender!.stop();
    const without: string[] = [];
    for (let i = 0; i < 2; i++) without.push(await schedule(true));
    console.info(`[k8s-e2e] extender down: CNF pods went to ${without.join(", ")}`);
    // Without OverSeer, kube-scheduler's own scoring prefers the larger (noisy) nodes.
    for (const node of without) expect(noisy, `without the extender CNF pods went to ${without.join(", ")}`).toContain(node);

    procs.extender = startExtender(ports, join(get().dir, "logs"), "extender-restarted");
    await waitForLog(procs.extender, /"listening"/);
    const again: string[] = [];
    for (let i = 0; i < 2; i++) again.push(await schedule(true));
    console.info(`[k8s-e2e] extender restarted: CNF pods went to ${again.join(", ")}`);
    for (const node of again) expect(noisy, `after the restart CNF pods went to ${again.join(", ")}`).not.toContain(node);
  }, 180_000);
}
