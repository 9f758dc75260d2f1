// regime-svc over real gRPC on 127.0.0.1: classify, validation, model info, health, hot reload, refusal.
import * as grpc from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureState, type FeatureVector } from "../gen/overseer/v1/features.js";
import { RegimeServiceClient, type ClassifyResponse } from "../gen/overseer/v1/regime_service.js";
import { corruptBundle, makeBundleDir, setBundleVersion } from "../lib/bundle/testing/fixture-dir.js";
import { FEATURE_COUNT, FEATURE_NAMES, SCHEMA_VERSION } from "../lib/features/catalog.js";
import { startRegimeService, type RunningRegimeService } from "../lib/regime/regime-server.js";

function vector(overrides: Record<string, number> = {}): FeatureVector {
  const values = FEATURE_NAMES.map((n) => overrides[n] ?? 0.2);
  return { schemaVersion: SCHEMA_VERSION, values, states: values.map(() => FeatureState.FEATURE_STATE_PRESENT), window: { seconds: 1, nanos: 0 }, absenceDetails: {} };
}

const quiet = () => {};
function baseConfig(bundleDir: string) {
  return { listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0, maxBatch: 1000, maxMessageBytes: 4 * 1024 * 1024, onnxThreads: 1, shutdownGrace: 1000, log: quiet };
}

const classify = (c: RegimeServiceClient, vectors: FeatureVector[]) =>
  new Promise<ClassifyResponse>((resolve, reject) => c.classify({ vectors }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (e, r) => (e ? reject(e) : resolve(r))));

function healthStatus(port: number, service: string): Promise<string> {
  const Ctor = grpc.makeGenericClientConstructor(healthService as unknown as grpc.ServiceDefinition, "Health");
  const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
    check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    c.check({ service }, (e, r) => {
      c.close();
      e ? reject(e) : resolve(r.status);
    }),
  );
}

describe("regime-svc", () => {
  let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
  let svc: RunningRegimeService;
  let client: RegimeServiceClient;

  beforeAll(async () => {
    bundle = await makeBundleDir();
    svc = await startRegimeService(baseConfig(bundle.dir));
    client = new RegimeServiceClient(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await svc?.stop();
    await rm(bundle.root, { recursive: true, force: true });
  });

  it("classifies a batch in request order with the argmax of the probabilities", async () => {
    const vs = [vector(), vector({ mem_bandwidth_fraction_of_peak: 0.97, dram_bound_stall_fraction: 0.6 }), vector({ cpu_utilization_fraction: 0.9 })];
    vs[2]!.states[3] = FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED;
    vs[2]!.values[3] = 0;
    const r = await classify(client, vs);
    expect(r.assessments).toHaveLength(3);
    expect(r.modelVersion).not.toBe("");
    for (const a of r.assessments) {
      const best = a.probabilities.reduce((x, y) => (y.probability > x.probability ? y : x));
      expect(a.regime).toBe(best.regime);
      expect(a.confidence).toBeCloseTo(best.probability, 6);
      expect(a.probabilities.reduce((s, p) => s + p.probability, 0)).toBeCloseTo(1, 4);
      expect(a.modelVersion).toBe(r.modelVersion);
    }
    expect(await classify(client, [])).toMatchObject({ assessments: [] });
  });

  it.each([
    ["wrong schema version", (v: FeatureVector) => (v.schemaVersion = 99), /vectors\[1\]\.schema_version/],
    ["short vector", (v: FeatureVector) => v.values.pop(), /vectors\[1\]\.values has 16 entries/],
    ["states of another length", (v: FeatureVector) => v.states.push(FeatureState.FEATURE_STATE_PRESENT), /vectors\[1\]\.states/],
    ["NaN in a present value", (v: FeatureVector) => (v.values[4] = NaN), /vectors\[1\]\.values\[4\] \(tma_memory_bound_fraction\) is NaN/],
    ["Infinity in a present value", (v: FeatureVector) => (v.values[0] = Infinity), /vectors\[1\]\.values\[0\]/],
  ])("rejects %s with INVALID_ARGUMENT naming the field", async (_name, mutate, message) => {
    const bad = vector();
    mutate(bad);
    const err = (await classify(client, [vector(), bad]).catch((e) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
  });

  it("accepts NaN in an absent value (absence is explicit, the value is ignored)", async () => {
    const v = vector();
    v.values[4] = NaN;
    v.states[4] = FeatureState.FEATURE_STATE_ABSENT_MULTIPLEX_TOO_LOW;
    expect((await classify(client, [v])).assessments).toHaveLength(1);
  });

  it("rejects a batch over --max-batch and a message over the size limit", async () => {
    const many = Array.from({ length: 1001 }, () => vector());
    const err = (await classify(client, many).catch((e) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/vectors has 1001 entries, the limit is 1000/);
    const huge = vector();
    huge.absenceDetails = { 0: "x".repeat(5 * 1024 * 1024) };
    const err2 = (await classify(client, [huge]).catch((e) => e)) as grpc.ServiceError;
    expect(err2.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it("describes the loaded model and reports SERVING", async () => {
    const info = await new Promise<any>((res, rej) => client.getModelInfo({}, (e, r) => (e ? rej(e) : res(r))));
    expect(info.model.featureNames).toEqual([...FEATURE_NAMES]);
    expect(info.model.schemaVersion).toBe(SCHEMA_VERSION);
    expect(info.model.regimes.length).toBeGreaterThan(1);
    expect(info.model.workloadClasses.length).toBeGreaterThan(0);
    expect(info.model.bundlePath).toBe(bundle.dir);
    expect(await healthStatus(svc.grpcPort, "overseer.v1.RegimeService")).toBe("SERVING");
    expect(FEATURE_COUNT).toBe(info.model.featureNames.length);
  });

  it("hot-swaps under concurrent requests without a failed request, and refuses a corrupt bundle", async () => {
    const before = (await classify(client, [vector()])).modelVersion;
    let stop = false;
    const seen = new Set<string>();
    let failures = 0;
    let done = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const r = await classify(client, Array.from({ length: 20 }, () => vector()));
          seen.add(r.modelVersion);
          done++;
        } catch {
          failures++;
        }
      }
    });
    for (const v of ["swap-1", "swap-2", "swap-3"]) {
      await setBundleVersion(bundle.dir, v);
      expect(await svc.holder.checkNow()).toBe("loaded");
      const target = done + 8;
      while (done < target && failures === 0) await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await Promise.all(workers);
    expect(failures).toBe(0);
    expect(done).toBeGreaterThan(3);
    expect(seen.has("swap-3")).toBe(true);
    expect(before).not.toBe("swap-3");

    await corruptBundle(bundle.dir);
    expect(await svc.holder.checkNow()).toBe("refused");
    expect((await classify(client, [vector()])).modelVersion).toBe("swap-3");
    const text = await (await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`)).text();
    expect(text).toMatch(/overseer_regime_model_refusals_total\{reason="checksum_mismatch"\} 1/);
    expect(text).toMatch(/overseer_regime_model_reloads_total 3/);
    expect(text).toMatch(/overseer_regime_model_loaded\{version="swap-3"\} 1/);
    expect(text).toMatch(/overseer_regime_request_duration_seconds_bucket\{le="0.005",method="Classify",code="OK"\}/);
  });
});

describe("regime-svc without a bundle", () => {
  it("starts NOT_SERVING, answers UNAVAILABLE, and serves once a bundle appears", async () => {
    const bundle = await makeBundleDir();
    const empty = `${bundle.root}/empty`;
    const svc = await startRegimeService(baseConfig(empty));
    const client = new RegimeServiceClient(`127.0.0.1:${svc.grpcPort}`, grpc.credentials.createInsecure());
    try {
      expect(await healthStatus(svc.grpcPort, "overseer.v1.RegimeService")).toBe("NOT_SERVING");
      expect(await healthStatus(svc.grpcPort, "")).toBe("NOT_SERVING");
      const err = (await classify(client, [vector()]).catch((e) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      const { cp } = await import("node:fs/promises");
      await cp(bundle.dir, empty, { recursive: true });
      expect(await svc.holder.checkNow()).toBe("loaded");
      expect(await healthStatus(svc.grpcPort, "")).toBe("SERVING");
      expect((await classify(client, [vector()])).assessments).toHaveLength(1);
    } finally {
      client.close();
      await svc.stop();
      await rm(bundle.root, { recursive: true, force: true });
    }
  });
});
