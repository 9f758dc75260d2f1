// Pods placed moments ago that the node's counters do not show yet. They are charged until a
// NodeState observed after their placement lists them as residents, or until the settle time passes.
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { residentKey, type NodeRecord } from "./node-state-store.js";

export interface RecentPlacement {
  key: string;
  uid: string;
  profile: SoloProfile;
  placedAtMs: number;
}

export interface RecentPlacementOptions {
  settleMs: number;
  /** Placements remembered per node (the oldest is dropped beyond it). */
  maxPerNode: number;
  now?: () => number;
}

const NONE: readonly RecentPlacement[] = Object.freeze([]);

export class RecentPlacements {
  private readonly byNode = new Map<string, RecentPlacement[]>();
  private readonly now: () => number;

  constructor(private readonly opts: RecentPlacementOptions) {
    this.now = opts.now ?? Date.now;
  }

  add(node: string, p: RecentPlacement): void {
    const list = (this.byNode.get(node) ?? []).filter((x) => x.key !== p.key && (!p.uid || x.uid !== p.uid));
    list.push(p);
    while (list.length > this.opts.maxPerNode) list.shift();
    this.byNode.set(node, list);
  }

  /** No placement is remembered on any node (the scoring hot path skips its per-node lookups). */
  isEmpty(): boolean {
    return this.byNode.size === 0;
  }

  /** Unsettled placements on `node` at `now` (expired ones are dropped). */
  active(node: string, now = this.now()): readonly RecentPlacement[] {
    const list = this.byNode.get(node);
    if (!list) return NONE;
    const live = list.filter((p) => now - p.placedAtMs <= this.opts.settleMs);
    if (live.length !== list.length) {
      if (live.length === 0) this.byNode.delete(node);
      else this.byNode.set(node, live);
    }
    return live;
  }

  /** A new state arrived: placements it shows (resident, observed after placement) are settled. */
  settleFrom(rec: NodeRecord): void {
    const list = this.byNode.get(rec.name);
    if (!list) return;
    const left = list.filter((p) => !(rec.observedAtMs >= p.placedAtMs && (rec.residentKeys.has(p.key) || (p.uid !== "" && rec.residentKeys.has(p.uid)))));
    if (left.length === 0) this.byNode.delete(rec.name);
    else if (left.length !== list.length) this.byNode.set(rec.name, left);
  }

  count(now = this.now()): number {
    let n = 0;
    for (const node of [...this.byNode.keys()]) n += this.active(node, now).length;
    return n;
  }
}

export { residentKey };
