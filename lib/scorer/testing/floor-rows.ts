// The raw-inference floor of the benches: the interference model's input for the named nodes,
// built straight from the store (each node's current row, the profile row, its regime
// probabilities; zeros for a node never classified), one row per node, as scorer-svc would send
// them for the plain case.
import type { ModelBundle } from "../../bundle/load-bundle.js";
import type { NodeStateStore } from "../node-state-store.js";

export function floorRows(store: NodeStateStore, names: readonly string[], bundle: ModelBundle, profile?: Float32Array): Float32Array {
  const D = bundle.interferenceWidth;
  const F2 = 2 * bundle.featureCount;
  const P = bundle.profileCount;
  const regimes = bundle.manifest.regimes;
  const input = new Float32Array(names.length * D);
  names.forEach((name, i) => {
    const rec = store.get(name);
    if (!rec) throw new Error(`floorRows: node ${name} is not in the store`);
    input.set(rec.row, i * D);
    if (profile) input.set(profile, i * D + F2);
    for (let k = 0; k < bundle.regimeCount; k++) input[i * D + F2 + P + k] = rec.regimeProbs?.[regimes[k]!] ?? 0;
  });
  return input;
}
