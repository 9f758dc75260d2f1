// The scorer's client of regime-svc: Classify with a deadline (per call, or the default).
import * as grpc from "@grpc/grpc-js";
import { ClassifyResponse, RegimeServiceClient, RegimeServiceService } from "../../gen/overseer/v1/regime_service.js";
import { encodeClassifyRows } from "./classify-codec.js";
import { CLIENT_RECEIVE_WINDOW_OPTIONS } from "../grpc/receive-windows.js";

export interface RegimeClassifier {
  /** Model rows (classify-codec.ts), encoded before this returns. `timeoutMs` overrides the default deadline for this call. */
  classify(rows: readonly Float32Array[], o?: { timeoutMs?: number }): Promise<ClassifyResponse>;
  close(): void;
}

const CLASSIFY_PATH = RegimeServiceService.classify.path;
const asIs = (b: Buffer) => b;
const decodeResponse = (b: Buffer) => ClassifyResponse.decode(b);

export function createRegimeClassifier(address: string, timeoutMs: number): RegimeClassifier {
  const client = new RegimeServiceClient(address, grpc.credentials.createInsecure(), {
    "grpc.max_send_message_length": 64 * 1024 * 1024,
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    ...CLIENT_RECEIVE_WINDOW_OPTIONS,
  });
  return {
    classify: (rows, o) => {
      // Encoded now: the rows are views of the store's slab, rewritten by newer states.
      const request = encodeClassifyRows(rows);
      return new Promise((resolve, reject) =>
        client.makeUnaryRequest(CLASSIFY_PATH, asIs, decodeResponse, request, new grpc.Metadata(), { deadline: Date.now() + (o?.timeoutMs ?? timeoutMs) }, (err, res) =>
          // The gRPC status code stays on the error (decision-time classification tells a deadline from other failures).
          err ? reject(Object.assign(new Error(`regime-svc Classify: ${err.details || err.message}`), { code: err.code })) : resolve(res!),
        ),
      );
    },
    close: () => client.close(),
  };
}
