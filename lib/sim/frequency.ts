// The observed core clock. It scales cycle-domain counters (cycles, slots, stall cycles) only:
// throughput physics runs at spec.physicsCoreHz (docs/simulator.md, "Frequency").
import type { NodeSpec } from "./node-spec.js";

/** Core clock in Hz given the number of busy logical CPUs. */
export type FrequencyModel = (busyLogicalCpus: number, spec: NodeSpec) => number;

/**
 * Turbo that falls with load: max single-core turbo with few busy cores, linearly down to the
 * all-core turbo when every physical core is busy (busy logical CPUs / threads per core).
 */
export const turboFrequency: FrequencyModel = (busy, spec) => {
  const physicalCores = spec.sockets * spec.coresPerSocket;
  const load = Math.min(1, busy / spec.threadsPerCore / physicalCores);
  return spec.maxTurboHz - (spec.maxTurboHz - spec.allCoreTurboHz) * load;
};

/** A fixed clock (e.g. turbo disabled: the base clock). */
export function constantFrequency(hz: number): FrequencyModel {
  if (!(Number.isFinite(hz) && hz > 0)) throw new RangeError(`frequency must be a positive number of Hz, got ${hz}`);
  return () => hz;
}
