// A cached regime assessment kept compact in the store (node-state-store.ts, setRegime): the
// probabilities stay in the slot's probability row only, and the parts every node of a batch has in
// common (the list order, the model version, the classification time) are shared objects.
// regimeAssessmentOf() rebuilds the assessment as it came for Query and Explain.
import type { Regime, RegimeAssessment } from "../../gen/overseer/v1/regime.js";
import type { NodeRecord } from "./node-state-store.js";

/** A cached assessment without its probability list (the record keeps that as regimeOrder + slot, or regimeListed). */
export type CachedRegime = Omit<RegimeAssessment, "probabilities">;

/** The record's cached regime assessment with its probabilities listed (for Query and Explain). */
export function regimeAssessmentOf(rec: NodeRecord): RegimeAssessment | undefined {
  const a = rec.regime;
  if (!a) return undefined;
  const probabilities = rec.regimeOrder ? rec.regimeOrder.map((regime) => ({ regime, probability: rec.probsSlot[regime]! })) : (rec.regimeListed ?? []);
  return { ...a, probabilities };
}

/** One shared list per distinct order of regimes (a model lists the same regimes for every node). */
export class RegimeOrders {
  private readonly byKey = new Map<string, readonly Regime[]>();

  /** `slots`: the store's probability slots per node (regimes 1 .. slots-1 fit). */
  constructor(private readonly slots: number) {}

  of(probabilities: RegimeAssessment["probabilities"]): readonly Regime[] | undefined {
    // The common case, the same model as the last assessment: no key to build.
    const last = this.last;
    if (last && last.length === probabilities.length && probabilities.every((p, i) => p.regime === last[i])) return last;
    let seen = 0;
    for (const p of probabilities) {
      if (!(p.regime > 0 && p.regime < this.slots) || seen & (1 << p.regime)) return undefined;
      seen |= 1 << p.regime;
    }
    this.last = this.known(probabilities);
    return this.last;
  }

  private last: readonly Regime[] | undefined;

  private known(probabilities: RegimeAssessment["probabilities"]): readonly Regime[] {
    const key = probabilities.map((p) => p.regime).join(",");
    let order = this.byKey.get(key);
    if (!order) {
      if (this.byKey.size >= 64) this.byKey.clear();
      order = Object.freeze(probabilities.map((p) => p.regime));
      this.byKey.set(key, order);
    }
    return order;
  }
}

/** The last model version string and classification time seen, handed out again for equal values. */
export class SharedAssessmentParts {
  private lastVersion = "";
  private lastTime: Date | undefined;

  version(v: string): string {
    if (v !== this.lastVersion) this.lastVersion = v;
    return this.lastVersion;
  }

  time(t: Date | undefined): Date | undefined {
    if (!t) return t;
    if (!this.lastTime || this.lastTime.getTime() !== t.getTime()) this.lastTime = t;
    return this.lastTime;
  }
}
