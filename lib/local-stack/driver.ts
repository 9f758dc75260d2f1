// The scenario driver: sends every CNF pod through the extender exactly as kube-scheduler would
// (its own fit filter, then the extender's filter, then prioritize when more than one node is left),
// picks the node the scheduler would, asks scorer-svc for the prediction on that node, reports the
// placement, and makes the pod resident in the simulated world. The same pods go through a
// default-scheduler emulation (least-allocated) on a twin world with the same neighbour churn.
import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { createRng, seedFrom } from "../sim/index.js";
import { cnfPodObject, type CnfPod } from "./kube-objects.js";
import type { PodArrival } from "./pod-arrivals.js";
import type { ExtenderClient } from "./scheduler-client.js";
import { chooseNode, fits, type NodeLoad } from "./scheduler-emulation.js";
import type { Prediction, ScorerCalls } from "./scorer-calls.js";
import { MEMORY_BYTES_PER_CPU, type SimWorld } from "./world.js";

export const TRACER_NAME = "overseer-local";

export interface Decision {
  seq: number;
  pod: string;
  workloadClass: string;
  atSec: number;
  candidates: number;
  outcome: "placed" | "unschedulable" | "error";
  error?: string;
  feasible?: number;
  filteredOut?: Record<string, string>;
  node?: string;
  extenderScore?: number;
  prediction?: Prediction;
  trueSlowdown?: number;
  /** Milliseconds spent in the extender calls (filter + prioritize). */
  extenderMs?: number;
  traceId?: string;
  defaultNode?: string;
  defaultTrueSlowdown?: number;
}

export interface DriverOptions {
  arrivals: readonly PodArrival[];
  world: SimWorld;
  /** Twin world for the default scheduler (same seed, so the same neighbour churn). */
  defaultWorld: SimWorld;
  extender: ExtenderClient;
  scorer: ScorerCalls;
  extenderWeight: number;
  seed: number;
  startMs: number;
  onDecision?: (d: Decision) => void;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

function loads(world: SimWorld): NodeLoad[] {
  return world.nodes.map((n) => ({
    name: n.name,
    allocatableCpus: world.allocatableCpus(n.name),
    requestedCpus: world.requestedCpus(n.name),
    allocatableMemoryBytes: world.allocatableCpus(n.name) * MEMORY_BYTES_PER_CPU,
    requestedMemoryBytes: world.requestedCpus(n.name) * MEMORY_BYTES_PER_CPU,
  }));
}

export function workloadSpec(pod: CnfPod): WorkloadSpec {
  return { podNamespace: pod.namespace, podName: pod.name, podUid: pod.uid, workloadClass: pod.workload.class, maxSlowdown: pod.maxSlowdown, soloProfile: undefined };
}

/** Places one pod through OverSeer; fills the OverSeer half of the decision. */
async function placeThroughOverseer(o: DriverOptions, pod: CnfPod, d: Decision, random: () => number): Promise<void> {
  const podMem = pod.cores * MEMORY_BYTES_PER_CPU;
  const fitting = loads(o.world).filter((n) => fits(n, pod.cores, podMem));
  d.candidates = fitting.length;
  if (fitting.length === 0) {
    d.outcome = "unschedulable";
    d.error = "no node has room (cpu/memory requests)";
    return;
  }
  const podObject = cnfPodObject(pod, MEMORY_BYTES_PER_CPU, new Date());
  const started = performance.now();
  const filtered = await o.extender.filter(podObject, fitting.map((n) => n.name));
  d.feasible = filtered.feasible.length;
  d.filteredOut = filtered.failed;
  const feasible = fitting.filter((n) => filtered.feasible.includes(n.name));
  if (feasible.length === 0) {
    d.extenderMs = performance.now() - started;
    d.outcome = "unschedulable";
    d.error = "the extender's filter left no node";
    return;
  }
  // kube-scheduler skips scoring (and so the extender's prioritize) when only one node is feasible.
  const scores = feasible.length > 1 ? await o.extender.prioritize(podObject, feasible.map((n) => n.name)) : undefined;
  d.extenderMs = performance.now() - started;
  const choice = chooseNode(feasible, pod.cores, podMem, scores, o.extenderWeight, random)!;
  d.node = choice.node;
  d.extenderScore = scores?.get(choice.node);
  const spec = workloadSpec(pod);
  d.prediction = await o.scorer.predict(spec, choice.node);
  d.trueSlowdown = o.world.trueSlowdownIfPlaced(choice.node, pod.workload, pod.cores);
  await o.scorer.reportPlacement(spec, choice.node, new Date());
  o.world.place({ podName: pod.name, podNamespace: pod.namespace, podUid: pod.uid, workload: pod.workload, cores: pod.cores, nodeName: choice.node, placedAtSec: d.atSec });
  d.outcome = "placed";
}

function placeByDefault(o: DriverOptions, pod: CnfPod, d: Decision, random: () => number): void {
  const podMem = pod.cores * MEMORY_BYTES_PER_CPU;
  const fitting = loads(o.defaultWorld).filter((n) => fits(n, pod.cores, podMem));
  const choice = chooseNode(fitting, pod.cores, podMem, undefined, 0, random);
  if (!choice) return;
  d.defaultNode = choice.node;
  d.defaultTrueSlowdown = o.defaultWorld.trueSlowdownIfPlaced(choice.node, pod.workload, pod.cores);
  o.defaultWorld.place({ podName: pod.name, podNamespace: pod.namespace, podUid: pod.uid, workload: pod.workload, cores: pod.cores, nodeName: choice.node, placedAtSec: d.atSec });
}

export async function runDriver(o: DriverOptions): Promise<Decision[]> {
  const tracer = trace.getTracer(TRACER_NAME);
  const overseerRandom = createRng(seedFrom(o.seed, "local-stack-ties-overseer"));
  const defaultRandom = createRng(seedFrom(o.seed, "local-stack-ties-default"));
  const decisions: Decision[] = [];
  for (let i = 0; i < o.arrivals.length; i++) {
    const a = o.arrivals[i]!;
    await sleep(o.startMs + a.atMs - Date.now(), o.signal);
    if (o.signal?.aborted) break;
    const atSec = (Date.now() - o.startMs) / 1000;
    o.world.advanceTo(atSec);
    o.defaultWorld.advanceTo(atSec);
    const d: Decision = { seq: i + 1, pod: `${a.pod.namespace}/${a.pod.name}`, workloadClass: a.pod.workload.class, atSec, candidates: 0, outcome: "error" };
    await tracer.startActiveSpan("overseer.local.schedule_pod", { attributes: { "k8s.pod.name": a.pod.name, "k8s.namespace.name": a.pod.namespace, "overseer.workload.class": a.pod.workload.class } }, async (span) => {
      const traceId = span.spanContext().traceId;
      if (span.isRecording() && !/^0+$/.test(traceId)) d.traceId = traceId;
      try {
        await placeThroughOverseer(o, a.pod, d, () => overseerRandom.next());
        span.setAttribute("overseer.outcome", d.outcome);
        if (d.node) span.setAttribute("k8s.node.name", d.node);
      } catch (e) {
        d.outcome = "error";
        d.error = (e as Error).message;
        span.recordException(e as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: d.error });
      } finally {
        span.end();
      }
    });
    placeByDefault(o, a.pod, d, () => defaultRandom.next());
    decisions.push(d);
    o.onDecision?.(d);
  }
  return decisions;
}
