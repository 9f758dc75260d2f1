// The scorer's client of regime-svc: Classify with a deadline (per call, or the default).
import * as grpc from "@grpc/grpc-js";
import type { FeatureVector } from "../../gen/overseer/v1/features.js";
import { RegimeServiceClient, type ClassifyResponse } from "../../gen/overseer/v1/regime_service.js";

export interface RegimeClassifier {
  /** `timeoutMs` overrides the default deadline for this call. */
  classify(vectors: FeatureVector[], o?: { timeoutMs?: number }): Promise<ClassifyResponse>;
  close(): void;
}

export function createRegimeClassifier(address: string, timeoutMs: number): RegimeClassifier {
  const client = new RegimeServiceClient(address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  return {
    classify: (vectors, o) =>
      new Promise((resolve, reject) =>
        client.classify({ vectors }, new grpc.Metadata(), { deadline: Date.now() + (o?.timeoutMs ?? timeoutMs) }, (err, res) =>
          // The gRPC status code stays on the error (decision-time classification tells a deadline from other failures).
          err ? reject(Object.assign(new Error(`regime-svc Classify: ${err.details || err.message}`), { code: err.code })) : resolve(res),
        ),
      ),
    close: () => client.close(),
  };
}
