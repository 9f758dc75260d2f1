// One line per scheduling decision while the scenario runs.
import type { Decision } from "./driver.js";

const f = (v: number | undefined) => (v === undefined ? "n/a" : `${v.toFixed(2)}x`);

export function progressLine(d: Decision, durationSec: number): string {
  const t = `[${d.atSec.toFixed(1).padStart(5)}s/${durationSec}s]`;
  const pod = d.pod.padEnd(26);
  if (d.outcome === "placed") {
    const score = d.extenderScore === undefined ? "only feasible node" : `score ${d.extenderScore}`;
    const basis = d.prediction && d.prediction.basis !== "model" ? ` (${d.prediction.basis})` : "";
    return `${t} ${pod} -> ${d.node} ${score}, predicted ${f(d.prediction?.predictedSlowdown)}${basis}, true ${f(d.trueSlowdown)} | default: ${d.defaultNode ?? "none"} ${f(d.defaultTrueSlowdown)}`;
  }
  return `${t} ${pod} ${d.outcome.toUpperCase()}: ${d.error ?? ""} | default: ${d.defaultNode ?? "none"} ${f(d.defaultTrueSlowdown)}`;
}
