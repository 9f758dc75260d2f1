// Reused per-call memory of the scoring engine's plan: the candidates' record list and the block
// its per-node typed arrays are carved from. Both live across the model's await; allocated per
// call (at 5,000 candidates: 40 KB of pointers and a 260 KB ArrayBuffer), they made old space and
// external memory grow with every call, and a run of calls that filled the young generation
// slowly then got a mark-compact every few dozen calls (docs/services.md, "Per-call plan memory").
// A lease goes to one call at a time and comes back on ScoreRun.release(); a lease never given
// back is only garbage, never shared.
import type { NodeRecord } from "./node-state-store.js";

export type RecordList = (NodeRecord | undefined)[];

export interface PlanLease {
  /** At least n entries, all undefined (read only [0, n)). */
  recs: RecordList;
  /** At least the asked bytes, zeroed over them. */
  block: ArrayBuffer;
}

export class PlanScratch {
  private readonly idle: PlanLease[] = [];

  constructor(private readonly maxIdle = 8) {}

  /** A lease for n candidates with a block of at least `blockBytes` (zeroed over them). */
  take(n: number, blockBytes: number): PlanLease {
    const lease = this.idle.pop();
    if (lease && lease.recs.length >= n && lease.block.byteLength >= blockBytes) {
      new Uint8Array(lease.block, 0, blockBytes).fill(0);
      return lease;
    }
    // None idle, or too small for this call: a new one (the small one is dropped).
    return { recs: new Array<NodeRecord | undefined>(n), block: new ArrayBuffer(blockBytes) };
  }

  /** Hands a lease back; its list is cleared over the first n entries (the only ones a call writes). */
  give(lease: PlanLease, n: number): void {
    lease.recs.fill(undefined, 0, n);
    if (this.idle.length < this.maxIdle) this.idle.push(lease);
  }

  get idleCount(): number {
    return this.idle.length;
  }
}
