// Waiting for a gRPC service to report SERVING through the standard health service.
import * as grpc from "@grpc/grpc-js";
import { waitUntil, type WaitOptions } from "./readiness.js";
import { untraced } from "./untraced.js";

function encodeHealthRequest(service: string): Buffer {
  const name = Buffer.from(service, "utf8");
  if (name.length === 0) return Buffer.alloc(0);
  if (name.length > 127) throw new Error("service name too long");
  return Buffer.concat([Buffer.from([0x0a, name.length]), name]);
}

/** grpc.health.v1 HealthCheckResponse.status: 1 = SERVING. */
function decodeHealthStatus(buf: Buffer): number {
  return buf.length >= 2 && buf[0] === 0x08 ? buf[1]! : 0;
}

export function grpcHealthStatus(address: string, service: string, timeoutMs = 1000): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<number>((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (s: string) => encodeHealthRequest(s),
      decodeHealthStatus,
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, status) => (err ? reject(err) : resolve(status!)),
    );
  }).finally(() => client.close());
}

export function waitForGrpcServing(address: string, service: string, o: WaitOptions): Promise<void> {
  return untraced(() => waitUntil(async () => (await grpcHealthStatus(address, service)) === 1, o));
}
