// Servers of bench/extender-prioritize.ts, usable in the bench's own process or in a child
// process (bench/extender-bench-children.ts): the no-op extender endpoint (the floor), a real
// grpc-js ScorerService answering constant scores, and a real scorer-svc with regime-svc fed
// node-0..node-N-1 (plus the raw-inference floor on the same rows).
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { ScorerServiceClient, type ScoreNodesRequest, type ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { floorRows } from "../lib/scorer/testing/floor-rows.js";
import { decodeExtenderBody } from "../lib/extender/body-scan.js";
import { encodeHostPrioritiesJson } from "../lib/extender/wire.js";
import { startRegimeService } from "../lib/regime/regime-server.js";
import { startScorerService } from "../lib/scorer/scorer-server.js";
import { SCORER_FLAGS } from "../lib/scorer/config.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { FAST_SCORER_SERVICE_DEFINITION } from "../lib/scorer/wire.js";

export const PRIORITIZE_PATH = "/overseer/prioritize";

/** The body kube-scheduler sends with nodeCacheCapable: true, for a UPF pod (Go's compact JSON). */
export function requestBody(n: number): string {
  const pod = {
    metadata: {
      name: "upf-7d9c5b-x2k4q",
      namespace: "ran",
      uid: "5f1c8a8e-2b7d-4c39-9a53-0c6b1d2e3f40",
      labels: { app: "upf" },
      annotations: { "overseer.io/workload-class": "upf", "overseer.io/max-slowdown": "1.25" },
    },
    spec: { containers: [{ name: "upf", image: "registry.example/upf:1.4", resources: { requests: { cpu: "4", memory: "8Gi" } } }], schedulerName: "default-scheduler" },
    status: { phase: "Pending" },
  };
  return JSON.stringify({ Pod: pod, Nodes: null, NodeNames: Array.from({ length: n }, (_, i) => `node-${i}`) });
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * The floor: Node's HTTP server, the extender's own body decode (lib/extender/body-scan.ts) and
 * answer encoder with constant scores, nothing else (no workload mapping, span, metrics, gRPC).
 */
export async function startNoopEndpoint(): Promise<{ url: string; port: number; close: () => void }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const args = decodeExtenderBody(Buffer.concat(chunks).toString("utf8"));
      const body = encodeHostPrioritiesJson(args.nodeNames, new Array<number>(args.nodeNames.length).fill(5), args.plainNames);
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${PRIORITIZE_PATH}`, port, close: () => (server.closeAllConnections(), server.close()) };
}

/** A real grpc-js ScorerService whose implementation answers constant scores (scores_only). */
export async function startConstantScorer(): Promise<{ address: string; close: () => void }> {
  const server = new grpc.Server();
  server.addService(FAST_SCORER_SERVICE_DEFINITION, {
    scoreNodes: (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, cb: grpc.sendUnaryData<ScoreNodesResponse>) =>
      cb(null, { modelVersion: "constant", packedScores: Buffer.alloc(call.request.nodeNames.length, 5), scores: [] }),
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

export interface RealScorer {
  address: string;
  bundleSource: string;
  modelVersion: string;
  /** Raw interference-model time for `rows` rows (node row, zero profile, regime probabilities), sequential calls. */
  measureInference(rows: number, seconds: number): Promise<{ p50: number; p99: number }>;
  /** Lines of scorer-svc's /metrics whose name mentions a cache (empty when it has none). */
  cacheMetrics(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Every third node is memory-bandwidth busy (so scores differ between nodes). */
export const BUSY = { mem_bandwidth_fraction_of_peak: 0.9, dram_bound_stall_fraction: 0.5, llc_misses_per_kilo_instr: 20 };
const quiet = () => undefined;

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A real regime-svc serving the bundle of `bundleDir` (or a synthetic test bundle it makes). */
export interface RealRegime {
  address: string;
  /** The bundle directory it serves (scorer-svc must load the same one). */
  bundleDir: string;
  bundleSource: string;
  stop(): Promise<void>;
}

export async function startRealRegime(onnxThreads: number, bundleDir: string | undefined): Promise<RealRegime> {
  const bundle = bundleDir ? { dir: bundleDir, root: undefined, source: bundleDir } : await makeBundleDir({ synthetic: true });
  const regime = await startRegimeService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: bundle.dir, pollInterval: 0,
    maxBatch: 10_000, maxMessageBytes: 64 << 20, onnxThreads, shutdownGrace: 500, log: quiet,
  });
  return {
    address: `127.0.0.1:${regime.grpcPort}`,
    bundleDir: bundle.dir,
    bundleSource: bundle.source,
    async stop() {
      await regime.stop();
      if (bundle.root) await rm(bundle.root, { recursive: true, force: true });
    },
  };
}

/**
 * scorer-svc with a real regime-svc and the bundle (or the synthetic test bundle), fed
 * node-0..node-N-1. `remoteRegime`: a regime-svc running elsewhere (its own process, as deployed)
 * whose bundle scorer-svc loads too; undefined: one is started here, in this process.
 * `decisionClassifyMax` and `bufferGcMb` undefined: scorer-svc's defaults (--decision-classify-max, --buffer-gc-mb).
 */
export async function startRealScorer(
  nodes: number,
  onnxThreads: number,
  bundleDir: string | undefined,
  o: { decisionClassifyMax?: number; remoteRegime?: { address: string; bundleDir: string; bundleSource: string }; bufferGcMb?: number } = {},
): Promise<RealScorer> {
  const { decisionClassifyMax, remoteRegime, bufferGcMb } = o;
  const own = remoteRegime ? undefined : await startRealRegime(onnxThreads, bundleDir);
  const regime = (remoteRegime ?? own)!;
  const scorer = await startScorerService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: regime.bundleDir, pollInterval: 0,
    regimeAddress: regime.address, regimeTimeout: 10_000,
    // As deployed: background catch-up every second, decisions classify their candidates' fresh states.
    regimeFlush: SCORER_FLAGS.regimeFlush.default!, regimeBatch: SCORER_FLAGS.regimeBatch.default!, decisionClassifyMax,
    freshness: 3_600_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 10_000, maxNodes: 100_000,
    maxMessageBytes: 64 << 20, onnxThreads, shutdownGrace: 500, log: quiet, bufferGcMb,
  });
  const address = `127.0.0.1:${scorer.grpcPort}`;
  const client = new ScorerServiceClient(address, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => {
    const stream = client.ingestNodeStates((e, r) =>
      e ? reject(e) : r.accepted === nodes ? resolve() : reject(new Error(`ingest: ${JSON.stringify(r)}`)),
    );
    for (let i = 0; i < nodes; i++) stream.write({ state: nodeState(`node-${i}`, { features: i % 3 === 0 ? BUSY : {} }), states: [] });
    stream.end();
  });
  client.close();
  const deadline = Date.now() + 60_000;
  while (![...scorer.store.values()].every((n) => n.regime !== undefined && !n.regimeStale)) {
    if (Date.now() > deadline) throw new Error("regimes did not arrive from regime-svc within 60 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const model = scorer.holder.current();
  if (!model) throw new Error("scorer-svc has no bundle loaded");
  return {
    address,
    bundleSource: regime.bundleSource,
    modelVersion: model.manifest.version,
    async measureInference(rows, seconds) {
      const input = floorRows(scorer.store, Array.from({ length: rows }, (_, i) => `node-${i}`), model);
      const lat: number[] = [];
      const end = performance.now() + (seconds * 1000) / 2;
      for (let i = 0; i < 5; i++) await model.predict(input, rows);
      while (performance.now() < end || lat.length < 20) {
        const t0 = performance.now();
        await model.predict(input, rows);
        lat.push(performance.now() - t0);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
    },
    async cacheMetrics() {
      const text = await scorer.registry.metrics();
      return text.split("\n").filter((l) => !l.startsWith("#") && /cache/i.test(l.split(/[{ ]/, 1)[0]!));
    },
    async stop() {
      await scorer.stop();
      await own?.stop();
    },
  };
}
