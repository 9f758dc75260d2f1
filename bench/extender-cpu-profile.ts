// Where the extender's CPU goes per prioritize call: runs the real extender binary
// (dist/cmd/extender/main.js) under `node --cpu-prof` towards a constant grpc-js scorer in this
// process, drives it with the bench's light keep-alive client, then attributes every profile
// sample to a stage (the innermost frame that names one) and prints microseconds per call.
// The profiler itself adds some overhead, so compare shares, not absolute numbers, across runs.
//
// Usage: node dist/bench/extender-cpu-profile.js [--nodes 1000] [--seconds 8] [--concurrency 4] [--top 25]
//        [--telemetry 1] (run the extender under the services' OpenTelemetry preload, spans recorded,
//        OTEL_TRACES_EXPORTER=none; default 0: OTEL_SDK_DISABLED=true)
//        [--scorer-transport h2|grpc-js] (the extender's scorer-svc client; default h2, the extender's default)
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { encodeHttpPost, KeepAliveConnection } from "./extender-bench-client.js";
import { PRIORITIZE_PATH, requestBody, startConstantScorer } from "./extender-bench-servers.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Stages, checked from the sampled frame outwards; the first frame that matches one wins. */
const STAGES: [string, (f: CallFrame) => boolean][] = [
  ["body decode (scan / JSON.parse + decodeExtenderArgs)", (f) => /^(scanNames|scanNamesModeBody|dedupe|nameHash|skipObject|skipString|parseJsonBody|decodeExtenderArgs|decodePod|decodeExtenderBody|stringMap)$/.test(f.functionName) || f.functionName.startsWith("RegExp: ^\"")],
  ["workload mapping", (f) => /^(podToWorkload|parseMaxSlowdown|parseSoloProfile|classify)$/.test(f.functionName)],
  ["span scores (topScores)", (f) => /^(topScores|topKIndices)$/.test(f.functionName)],
  ["tracing (OpenTelemetry API, SDK, instrumentations)", (f) => f.url.includes("@opentelemetry") || f.url.includes("import-in-the-middle") || f.url.includes("require-in-the-middle")],
  ["metrics (prom-client)", (f) => f.url.includes("prom-client")],
  ["ScoreNodesRequest encode", (f) => /^(encodeNamesRequest|utf8Length|writeUtf8|writeVarint)$/.test(f.functionName)],
  ["ScoreNodesResponse decode", (f) => f.functionName === "decodeScoreNodesResponse"],
  ["decision (decideScores)", (f) => f.functionName === "decideScores"],
  ["answer build (HostPriorityList bytes)", (f) => /^(encodeHostPrioritiesJson|stringifyHostPriorities|encodePrioritizeResult|clampScore|namesArePlain)$/.test(f.functionName)],
  ["gRPC client (grpc-js, or the h2 client and its HTTP/2 + HPACK)", (f) => f.url.includes("@grpc/grpc-js") || f.url.includes("http2") || /lib\/extender\/(scorer-backend|h2-[a-z-]+|hpack[a-z-]*|grpc-wire)\.js$/.test(f.url)],
  ["service glue (span scope, breaker, deadline guard)", (f) => /lib\/extender\/(service|circuit-breaker)\.js$/.test(f.url)],
  ["HTTP server, body read, socket writes", (f) => /_http_|node:net|internal\/streams|stream_base|lib\/extender\/http\.js$/.test(f.url) || f.functionName === "writev" || f.functionName === "writeBuffer"],
  ["timers, promises, microtasks", (f) => /timers|task_queues|promises/.test(f.url) || f.functionName === "runMicrotasks"],
];

function attribute(profile: CpuProfile): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string>();
  const stageOf = (id: number): string => {
    const hit = memo.get(id);
    if (hit) return hit;
    const leaf = byId.get(id)!.callFrame;
    let stage: string | undefined;
    if (leaf.functionName === "(idle)") stage = "(idle)";
    else if (leaf.functionName === "(garbage collector)") stage = "garbage collector";
    else if (leaf.functionName === "(program)") stage = "native, not attributed (program)";
    for (let cur: number | undefined = id; stage === undefined && cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      stage = STAGES.find(([, test]) => test(f))?.[0];
    }
    stage ??= "other";
    memo.set(id, stage);
    return stage;
  };
  const us = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const s = stageOf(profile.samples[i]!);
    us.set(s, (us.get(s) ?? 0) + profile.timeDeltas[i]!);
  }
  return us;
}

async function main(): Promise<void> {
  const o = { nodes: 1000, seconds: 8, concurrency: 4, top: 25, telemetry: 0 };
  let transport = "h2";
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--scorer-transport") {
      transport = argv[++i] ?? "";
      if (transport !== "h2" && transport !== "grpc-js") throw new Error(`--scorer-transport must be h2 or grpc-js, got "${transport}"`);
      continue;
    }
    const key = argv[i]!.replace(/^--/, "") as keyof typeof o;
    if (!(key in o)) throw new Error(`unknown flag ${argv[i]}`);
    o[key] = Number(argv[++i]);
    if (!(o[key] > 0) && !(key === "telemetry" && o[key] === 0)) throw new Error(`bad value for --${key}`);
  }
  console.log(`load average at start: ${os.loadavg().map((v) => v.toFixed(2)).join(", ")}`);
  const scorer = await startConstantScorer();
  const dir = await mkdtemp(path.join(os.tmpdir(), "extender-prof-"));
  const main = fileURLToPath(new URL("../cmd/extender/main.js", import.meta.url));
  const preload = fileURLToPath(new URL("../lib/telemetry/preload.js", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--cpu-prof", "--cpu-prof-dir", dir, ...(o.telemetry ? ["--import", preload] : []), main, "--listen", "127.0.0.1:0", "--scorer-address", scorer.address, "--breaker-failures", "1000000", "--log-level", "warn", "--scorer-transport", transport],
    {
      stdio: ["ignore", "inherit", "pipe"],
      env: o.telemetry ? { ...process.env, OTEL_SDK_DISABLED: "false", OTEL_TRACES_EXPORTER: "none" } : { ...process.env, OTEL_SDK_DISABLED: "true" },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stderr!.on("data", (c: Buffer) => {
      text += c.toString();
      const m = /"url":"http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`extender exited (${code}): ${text}`)));
  });
  const request = encodeHttpPost(port, PRIORITIZE_PATH, requestBody(o.nodes));
  const conns = await Promise.all(Array.from({ length: o.concurrency }, () => KeepAliveConnection.open(port)));
  let calls = 0;
  const end = performance.now() + o.seconds * 1000;
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < end) {
        await c.post(request);
        calls++;
      }
    }),
  );
  for (const c of conns) c.close();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGINT");
  await exited;
  scorer.close();
  const file = (await readdir(dir)).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const us = attribute(JSON.parse(await readFile(path.join(dir, file), "utf8")) as CpuProfile);
  await rm(dir, { recursive: true, force: true });
  const busy = [...us].filter(([k]) => k !== "(idle)").reduce((a, [, v]) => a + v, 0);
  console.log(`tracing ${o.telemetry ? "on (preload, exporter none)" : "off (OTEL_SDK_DISABLED=true)"}; extender --scorer-transport ${transport}`);
  console.log(`${o.nodes} nodes, ${calls} calls in ${o.seconds} s with ${o.concurrency} callers (the profile also holds start-up): extender busy ${(busy / calls).toFixed(0)} us per call`);
  for (const [stage, v] of [...us].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, o.top)) {
    console.log(`${(v / calls).toFixed(0).padStart(7)} us/call ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${stage}`);
  }
  console.log(`load average at end: ${os.loadavg().map((v) => v.toFixed(2)).join(", ")}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
