// Test helpers: configurations of in-process regime-svc and scorer-svc on ephemeral ports, and a bounded wait.
const quiet = () => {};

export const regimeConfig = (bundleDir: string) => ({
  listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0, maxBatch: 10000,
  maxMessageBytes: 16 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
});

export const scorerConfig = (bundleDir: string, regimeAddress: string) => ({
  listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0, regimeAddress, regimeTimeout: 1000, regimeFlush: 10, regimeBatch: 256,
  // Every decision may classify inline (tests of the spacing set it themselves).
  decisionClassifyInterval: 0,
  freshness: 10_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 100, maxNodes: 1000, maxMessageBytes: 16 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
});

/** Polls `cond` every 10 ms, at most `tries` times. */
export async function waitFor(cond: () => boolean, what: string, tries = 1500): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}
