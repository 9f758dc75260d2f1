// EvalService over real gRPC (reflection, health, every RPC and its error statuses), evaluating
// real in-process regime-svc/scorer-svc servers that serve the registry's current bundle.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalServiceClient, EvaluationKind } from "../gen/overseer/v1/eval_service.js";
import { parseFlags } from "../lib/config/flags.js";
import { SERVE_FLAGS } from "../lib/eval/config.js";
import { startEvalService, type RunningEvalService } from "../lib/eval/eval-server.js";
import { startStack, type RunningStack } from "../lib/eval/services/stack.js";
import { tempDir, writeBundleTrainedOn, writeSmallCorpus } from "../lib/eval/testing/fixtures.js";

const require = createRequire(import.meta.url);
const healthProto = path.join(path.dirname(require.resolve("grpc-health-check/package.json")), "proto/health/v1/health.proto");

let stack: RunningStack;
let evalSvc: RunningEvalService;
let client: EvalServiceClient;
let root: string;

const call = <Req, Res>(fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req) =>
  new Promise<Res>((resolve, reject) => fn.call(client, req, (e, r) => (e ? reject(e) : resolve(r))));

beforeAll(async () => {
  root = await tempDir("svc");
  const champion = path.join(root, "champion");
  await writeBundleTrainedOn(champion, ["upf-64b"], { slowdownScale: 1, version: "champion-v1" });
  const good = path.join(root, "good");
  await writeBundleTrainedOn(good, ["upf-64b"], { slowdownScale: 0.5, version: "good-v1" });
  writeSmallCorpus(path.join(root, "corpora", "c1"), ["--seed", "31", "--nodes", "2", "--intervals", "2"]);
  const script = path.join(root, "fake-trainer.cjs");
  await writeFile(script, `require("node:fs").cpSync(process.argv[3], process.argv[2], { recursive: true });`);
  const f = parseFlags([], {}, SERVE_FLAGS);
  const registryDir = path.join(root, "registry");
  // The services serve <registry>/current, which the eval service creates on start.
  const { BundleRegistry } = await import("../lib/eval/retrain/bundle-registry.js");
  await new BundleRegistry(registryDir).init(champion);
  stack = await startStack({ bundleDir: path.join(registryDir, "current"), pollIntervalMs: 100, regimeFlushMs: 1 });
  evalSvc = await startEvalService(
    {
      ...f,
      listen: "127.0.0.1:0",
      stack: "in-process",
      reportsDir: path.join(root, "reports"),
      scorerAddress: stack.scorerAddress,
      regimeAddress: stack.regimeAddress,
      registryDir,
      initialBundle: champion,
      corpusRoot: path.join(root, "corpora"),
      heldOutSeed: 4711,
      trainingCommand: `${process.execPath} ${script} {out} ${good}`,
      maxSlowdownMape: 0.2,
      maxPods: 50,
      maxNodes: 20,
    },
    () => undefined,
  );
  client = new EvalServiceClient(`127.0.0.1:${evalSvc.port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await evalSvc?.stop();
  await stack?.stop();
});

describe("EvalService", () => {
  it("reports SERVING through the standard health service", async () => {
    const def = protoLoader.loadSync(healthProto, { keepCase: true, enums: String });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health;
    const h = new Health(`127.0.0.1:${evalSvc.port}`, grpc.credentials.createInsecure());
    const status = await new Promise<string>((resolve, reject) => h.Check({ service: "overseer.v1.EvalService" }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r.status))));
    h.close();
    expect(status).toBe("SERVING");
  });

  it("runs a held-out accuracy evaluation of the served models", async () => {
    const res = await call(client.runEvaluation, { kind: EvaluationKind.EVALUATION_KIND_HELD_OUT_ACCURACY, seed: 4711, nodeCount: 3, podCount: 0 });
    expect(res.summary!.kind).toBe(EvaluationKind.EVALUATION_KIND_HELD_OUT_ACCURACY);
    expect(res.summary!.modelVersion).toBe("champion-v1");
    expect(res.summary!.synthetic).toBe(true);
    expect(res.summary!.metrics.slowdown_mape).toBeGreaterThan(0);
  });

  it("runs a small placement benchmark with every policy", async () => {
    const res = await call(client.runEvaluation, { kind: EvaluationKind.EVALUATION_KIND_PLACEMENT_BENCHMARK, seed: 5, nodeCount: 6, podCount: 12 });
    const m = res.summary!.metrics;
    for (const p of ["default", "random", "threshold", "overseer", "oracle"]) expect(m[`${p}_mean_slowdown`]).toBeGreaterThanOrEqual(1);
    expect(m.oracle_mean_slowdown).toBeLessThanOrEqual(m.default_mean_slowdown!);
    expect(res.summary!.modelVersion).toBe("champion-v1");
  });

  it("lists reports newest first and returns one as JSON", async () => {
    const list = await call(client.listReports, {});
    expect(list.reports.length).toBe(2);
    expect(list.reports[0]!.kind).toBe(EvaluationKind.EVALUATION_KIND_PLACEMENT_BENCHMARK);
    const got = await call(client.getReport, { reportId: list.reports[1]!.reportId });
    expect(JSON.parse(got.reportJson).accuracy.overall.n).toBeGreaterThan(0);
  });

  it("maps bad requests to gRPC statuses", async () => {
    const code = (p: Promise<unknown>) => p.then(() => -1, (e: grpc.ServiceError) => e.code);
    expect(await code(call(client.getReport, { reportId: "../x" }))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(call(client.getReport, { reportId: "" }))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(call(client.getReport, { reportId: "no-such-report" }))).toBe(grpc.status.NOT_FOUND);
    expect(await code(call(client.runEvaluation, { kind: EvaluationKind.EVALUATION_KIND_UNSPECIFIED, seed: 0, nodeCount: 0, podCount: 0 }))).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await code(call(client.runEvaluation, { kind: EvaluationKind.EVALUATION_KIND_PLACEMENT_BENCHMARK, seed: 1, nodeCount: 5, podCount: 51 }))).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it("retrains on demand: challenger judged against the champion, reported, history kept", async () => {
    const res = await call(client.triggerRetraining, { reason: "test" });
    expect(res.championVersion).toBe("champion-v1");
    expect(res.challengerVersion).toBe("good-v1");
    expect(res.reason).not.toBe("");
    expect(res.championMetrics.slowdown_mape).toBeGreaterThan(0);
    expect(res.challengerMetrics.slowdown_mape).toBeGreaterThan(0);
    // The promotion rule (lib/eval/retrain/decide.ts) needs a lower MAPE without losing bound coverage.
    if (res.promoted) expect(res.challengerMetrics.slowdown_mape!).toBeLessThan(res.championMetrics.slowdown_mape!);
    else expect(res.reason).toMatch(/not better|coverage/);
    const history = await evalSvc.registry!.history();
    expect(history.at(-1)!.event).toBe(res.promoted ? "promoted" : "kept-champion");
  });

  it("a drift check evaluates the served models and retrains only when they drifted", async () => {
    const r = await evalSvc.jobs.checkDrift();
    expect(r.reportId).not.toBe("");
    if (r.drifted) {
      expect(r.reasons.join(" ")).toMatch(/MAPE|coverage/);
      expect(typeof r.promoted).toBe("boolean");
    } else expect(r.promoted).toBeUndefined();
    const list = await call(client.listReports, {});
    expect(list.reports.some((x) => x.reportId === r.reportId)).toBe(true);
  });
});
