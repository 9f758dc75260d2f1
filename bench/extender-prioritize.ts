// Benchmark: prioritize latency (p50/p99) and throughput at 100, 1,000 and 5,000 candidate nodes,
// measured beside a no-op extender endpoint in the same process (it parses the same request and
// answers constant scores: the floor), and printed as ratios against that floor.
//
// Rows:
//   floor          no-op endpoint: read body, JSON.parse + decode ExtenderArgs, constant HostPriorityList
//   extender+fake  the real extender (HTTP, decode, workload mapping, span, metrics, circuit breaker)
//                  calling a real grpc-js ScorerService over loopback whose implementation answers
//                  constant scores (isolates the extender + gRPC cost from model cost)
//   extender+real  only when --scorer-address is given: the extender calling a running scorer-svc
//
// Usage: node dist/bench/extender-prioritize.js [--sizes 100,1000,5000] [--seconds 3] [--concurrency 4]
//        [--scorer-address host:port]   (a running scorer-svc that knows the nodes node-0..node-N)
import * as grpc from "@grpc/grpc-js";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScoreBasis, ScorerServiceService, type ScoreNodesRequest, type ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { startExtender } from "../lib/extender/app.js";
import { parseExtenderConfig } from "../lib/extender/config.js";
import { silentLogger } from "../lib/extender/log.js";
import { decodeExtenderArgs, parseJsonBody } from "../lib/extender/wire.js";

interface Options {
  sizes: number[];
  seconds: number;
  concurrency: number;
  scorerAddress?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [100, 1000, 5000], seconds: 3, concurrency: 4 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") o.sizes = value().split(",").map(Number);
    else if (flag === "--seconds") o.seconds = Number(value());
    else if (flag === "--concurrency") o.concurrency = Number(value());
    else if (flag === "--scorer-address") o.scorerAddress = value();
    else throw new Error(`unknown flag ${flag}`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 1) || !(o.seconds > 0) || !(o.concurrency >= 1)) throw new Error("bad --sizes/--seconds/--concurrency");
  return o;
}

/** The body kube-scheduler sends with nodeCacheCapable: true, for a UPF pod. */
function requestBody(n: number): string {
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

/** The floor: same parsing as the extender, constant answer, nothing else. */
async function startNoopEndpoint(): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const args = decodeExtenderArgs(parseJsonBody(Buffer.concat(chunks).toString("utf8")));
      const text = JSON.stringify(args.nodeNames.map((Host) => ({ Host, Score: 5 })));
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/overseer/prioritize`, close: () => (server.closeAllConnections(), server.close()) };
}

/** A real grpc-js ScorerService whose implementation answers constant scores. */
async function startConstantScorer(): Promise<{ address: string; close: () => void }> {
  const server = new grpc.Server();
  server.addService(ScorerServiceService, {
    scoreNodes: (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, cb: grpc.sendUnaryData<ScoreNodesResponse>) =>
      cb(null, {
        modelVersion: "constant",
        scores: call.request.nodeNames.map((nodeName) => ({
          nodeName,
          score: 5,
          predictedSlowdown: 1.1,
          slowdownUpperBound: 1.2,
          regime: Regime.REGIME_QUIET,
          basis: ScoreBasis.SCORE_BASIS_MODEL,
        })),
      }),
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function postOnce(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let size = 0;
      res.on("data", (c: Buffer) => (size += c.length));
      res.on("end", () => (res.statusCode === 200 && size > 0 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  p50: number;
  p99: number;
  rps: number;
  n: number;
  /** Process CPU (user+system) per sequential call: less sensitive to other load than wall time. */
  cpuMs: number;
}

/** Sequential calls for latency (a kube-scheduler calls an extender once per pod), then a closed loop for throughput. */
async function measure(url: string, body: string, opts: Options): Promise<Result> {
  const until = (ms: number) => performance.now() + ms;
  const warmEnd = until(300);
  while (performance.now() < warmEnd) await postOnce(url, body);
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const latEnd = until((opts.seconds * 1000) / 2);
  while (performance.now() < latEnd || lat.length < 20) lat.push(await postOnce(url, body));
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / lat.length;
  lat.sort((a, b) => a - b);
  let done = 0;
  const t0 = performance.now();
  const tpEnd = until((opts.seconds * 1000) / 2);
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < tpEnd) {
        await postOnce(url, body);
        done++;
      }
    }),
  );
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), rps: done / ((performance.now() - t0) / 1000), n: lat.length, cpuMs };
}

const f = (x: number, d = 2) => x.toFixed(d).padStart(8);

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const floor = await startNoopEndpoint();
  const fake = await startConstantScorer();
  const argv = ["--listen", "127.0.0.1:0", "--breaker-failures", "1000000"];
  const extFake = await startExtender(parseExtenderConfig([...argv, "--scorer-address", fake.address], {}), { registry: new Registry(), logger: silentLogger });
  const extReal = opts.scorerAddress
    ? await startExtender(parseExtenderConfig([...argv, "--scorer-address", opts.scorerAddress], {}), { registry: new Registry(), logger: silentLogger })
    : undefined;

  console.log(`extender prioritize benchmark (nodeCacheCapable: true; ${opts.seconds}s per row, throughput with ${opts.concurrency} concurrent callers; client, servers and scorer share this process)`);
  console.log(`${"nodes".padStart(6)} ${"row".padEnd(15)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"calls/s".padStart(8)} ${"p50/flr".padStart(8)} ${"p99/flr".padStart(8)} ${"rps/flr".padStart(8)} ${"cpu ms".padStart(8)} ${"cpu/flr".padStart(8)}`);
  const summary: string[] = [];
  for (const n of opts.sizes) {
    const body = requestBody(n);
    const rows: [string, string][] = [
      ["floor (no-op)", floor.url],
      ["extender+fake", `${extFake.server.url}/overseer/prioritize`],
    ];
    if (extReal) rows.push(["extender+real", `${extReal.server.url}/overseer/prioritize`]);
    let base: Result | undefined;
    for (const [name, url] of rows) {
      const r = await measure(url, body, opts);
      base ??= r;
      console.log(
        `${String(n).padStart(6)} ${name.padEnd(15)} ${f(r.p50)} ${f(r.p99)} ${f(r.rps, 0)} ${f(r.p50 / base.p50)} ${f(r.p99 / base.p99)} ${f(r.rps / base.rps)} ${f(r.cpuMs)} ${f(r.cpuMs / base.cpuMs)}`,
      );
      if (name === "extender+fake") {
        const degraded = await extFake.registry.getSingleMetricAsString("overseer_extender_degraded_total");
        if (/_total\{/.test(degraded)) summary.push(`WARNING: degraded answers during the ${n}-node run (numbers not comparable)`);
        if (n === 1000) summary.push(`throughput at 1,000 nodes: ${r.rps.toFixed(0)} calls/s (target >= 500) -> ${r.rps >= 500 ? "MET" : "NOT MET"}`);
        summary.push(`p99 at ${n} nodes: extender+gRPC ${r.p99.toFixed(2)} ms vs floor ${base.p99.toFixed(2)} ms = ${(r.p99 / base.p99).toFixed(2)}x (target <= 1.5x of floor sum; no model cost in this row)`);
      }
    }
  }
  console.log("");
  for (const s of summary) console.log(s);
  await extFake.close();
  await extReal?.close();
  fake.close();
  floor.close();
  agent.destroy();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
