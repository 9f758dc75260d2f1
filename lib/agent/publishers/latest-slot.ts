// Holds at most one value: the newest. Used by every publisher so that a slow or absent receiver
// costs bounded memory (one NodeState), never a queue.

export interface LatestSlot<T> {
  /** Stores v, replacing (and returning) an older value that was never taken. */
  put(v: T): T | undefined;
  take(): T | undefined;
  peek(): T | undefined;
  readonly size: 0 | 1;
  /** Resolves once a value is present (immediately if one is). */
  wait(): Promise<void>;
}

export function createLatestSlot<T>(): LatestSlot<T> {
  let value: T | undefined;
  let has = false;
  let waiters: (() => void)[] = [];
  return {
    put(v) {
      const old = has ? value : undefined;
      value = v;
      has = true;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
      return old;
    },
    take() {
      if (!has) return undefined;
      const v = value;
      value = undefined;
      has = false;
      return v;
    },
    peek() {
      return has ? value : undefined;
    },
    get size() {
      return has ? 1 : 0;
    },
    wait() {
      return has ? Promise.resolve() : new Promise<void>((r) => waiters.push(r));
    },
  };
}
