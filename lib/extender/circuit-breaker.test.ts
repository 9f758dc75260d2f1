import { describe, expect, it } from "vitest";
import { createCircuitBreaker, type CircuitState } from "./circuit-breaker.js";

function setup(threshold = 3, coolDownMs = 1000) {
  let t = 0;
  const changes: CircuitState[] = [];
  const b = createCircuitBreaker({ failureThreshold: threshold, coolDownMs, now: () => t, onStateChange: (s) => changes.push(s) });
  return { b, changes, advance: (ms: number) => (t += ms) };
}

describe("circuit breaker", () => {
  it("stays closed below the threshold; a success resets the count", () => {
    const { b } = setup(3);
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe("closed");
    expect(b.tryAcquire()).toBe(true);
  });

  it("opens after N consecutive failures and refuses calls", () => {
    const { b, changes } = setup(3);
    for (let i = 0; i < 3; i++) b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    expect(b.retryInMs()).toBe(1000);
    expect(changes).toEqual(["open"]);
  });

  it("after the cool-down lets exactly one probe through (half-open)", () => {
    const { b, advance } = setup(1, 1000);
    b.recordFailure();
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });

  it("probe success closes the circuit", () => {
    const { b, advance, changes } = setup(1, 10);
    b.recordFailure();
    advance(10);
    expect(b.tryAcquire()).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe("closed");
    expect(changes).toEqual(["open", "half-open", "closed"]);
  });

  it("probe failure re-opens for a fresh cool-down", () => {
    const { b, advance } = setup(5, 100);
    for (let i = 0; i < 5; i++) b.recordFailure();
    advance(100);
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.retryInMs()).toBe(100);
  });

  it("rejects a bad threshold", () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0, coolDownMs: 1 })).toThrow(/failureThreshold/);
  });
});
