// RegimeService: decode (validate vectors), decide (one batched ONNX run), encode (assessments).
import type { RegimeAssessment } from "../../gen/overseer/v1/regime.js";
import type {
  ClassifyRequest,
  ClassifyResponse,
  GetModelInfoResponse,
  RegimeServiceServer,
} from "../../gen/overseer/v1/regime_service.js";
import type { BundleHolder } from "../bundle/bundle-holder.js";
import { argmaxRegime, writeFeatureRow } from "../bundle/model-input.js";
import type { ServiceMetrics } from "../bundle/service-metrics.js";
import { FeatureVectorError, validateFeatureVector } from "../features/feature-vector.js";
import { InvalidArgumentError, UnavailableError, unary } from "../grpc/errors.js";
import type { Histogram } from "prom-client";

export interface RegimeServiceDeps {
  holder: BundleHolder;
  metrics: ServiceMetrics;
  batchSize: Histogram;
  /** Largest number of vectors in one Classify request. */
  maxBatch: number;
  now?: () => Date;
}

export function createRegimeServiceImpl(deps: RegimeServiceDeps): RegimeServiceServer {
  const now = deps.now ?? (() => new Date());

  async function classify(req: ClassifyRequest): Promise<ClassifyResponse> {
    const n = req.vectors.length;
    if (n > deps.maxBatch) throw new InvalidArgumentError(`vectors has ${n} entries, the limit is ${deps.maxBatch}`, "vectors");
    req.vectors.forEach((v, i) => {
      try {
        validateFeatureVector(v, `vectors[${i}]`);
      } catch (e) {
        if (e instanceof FeatureVectorError) throw new InvalidArgumentError(e.message, e.field);
        throw e;
      }
    });
    if (!deps.holder.current()) throw new UnavailableError("no model bundle is loaded");
    return deps.holder.use(async (b) => {
      const version = b.manifest.version;
      if (n === 0) return { assessments: [], modelVersion: version };
      deps.batchSize.observe(n);
      const width = 2 * b.featureCount;
      const input = new Float32Array(n * width);
      for (let i = 0; i < n; i++) writeFeatureRow(req.vectors[i]!, input, i * width);
      const probs = await b.classify(input, n);
      const R = b.regimeCount;
      const at = now();
      const assessments: RegimeAssessment[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const { regime, confidence } = argmaxRegime(probs, i * R, b.manifest.regimes);
        assessments[i] = {
          regime,
          confidence,
          probabilities: b.manifest.regimes.map((r, k) => ({ regime: r, probability: probs[i * R + k]! })),
          modelVersion: version,
          classifiedAt: at,
        };
      }
      return { assessments, modelVersion: version };
    });
  }

  function modelInfo(): GetModelInfoResponse {
    const b = deps.holder.current();
    if (!b) throw new UnavailableError("no model bundle is loaded");
    const m = b.manifest;
    return {
      model: {
        version: m.version,
        schemaVersion: m.schemaVersion,
        featureNames: m.featureNames,
        regimes: m.regimes,
        createdAt: m.createdAt,
        loadedAt: b.loadedAt,
        corpusHash: m.corpusHash,
        bundlePath: b.dir,
        heldOutMetrics: m.heldOutMetrics,
        workloadClasses: [...m.workloadProfiles.keys()],
      },
    };
  }

  return {
    classify: unary((req: ClassifyRequest) => deps.metrics.timed("Classify", () => classify(req))),
    getModelInfo: unary(() => deps.metrics.timed("GetModelInfo", async () => modelInfo())),
  };
}
