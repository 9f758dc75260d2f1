// Circuit breaker for scorer-svc: after `failureThreshold` consecutive failures the circuit opens
// and calls are refused at once (the extender answers degraded without paying the deadline);
// after `coolDownMs` one probe call is let through (half-open): success closes the circuit,
// failure opens it again for another cool-down. Pure state machine; the clock is injected.

export type CircuitState = "closed" | "open" | "half-open";

/** Gauge encoding of the state (overseer_extender_circuit_state). */
export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, "half-open": 1, open: 2 };

export interface CircuitBreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  now?: () => number;
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

export interface CircuitBreaker {
  readonly state: CircuitState;
  /** True when a call may go to the backend now; in half-open only one probe at a time. */
  tryAcquire(): boolean;
  recordSuccess(): void;
  recordFailure(): void;
  /** Milliseconds until a probe is allowed (0 unless open). */
  retryInMs(): number;
}

export function createCircuitBreaker(opts: CircuitBreakerOptions): CircuitBreaker {
  if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) throw new Error("failureThreshold must be an integer >= 1");
  if (!(opts.coolDownMs >= 0)) throw new Error("coolDownMs must be >= 0");
  const now = opts.now ?? Date.now;
  let state: CircuitState = "closed";
  let consecutiveFailures = 0;
  let openedAt = 0;
  let probeInFlight = false;

  const setState = (next: CircuitState) => {
    if (next === state) return;
    const prev = state;
    state = next;
    opts.onStateChange?.(next, prev);
  };

  return {
    get state() {
      if (state === "open" && now() - openedAt >= opts.coolDownMs) setState("half-open");
      return state;
    },
    tryAcquire() {
      const s = this.state;
      if (s === "closed") return true;
      if (s === "open") return false;
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    recordSuccess() {
      consecutiveFailures = 0;
      probeInFlight = false;
      setState("closed");
    },
    recordFailure() {
      probeInFlight = false;
      consecutiveFailures++;
      if (state === "half-open" || consecutiveFailures >= opts.failureThreshold) {
        openedAt = now();
        setState("open");
      }
    },
    retryInMs() {
      if (this.state !== "open") return 0;
      return Math.max(0, opts.coolDownMs - (now() - openedAt));
    },
  };
}
