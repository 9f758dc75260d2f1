// Test fixture run as its own process (`node [--import preload.js] traced-grpc-pair.js`): a gRPC server
// (the project's server with health + reflection) and a client in one ESM process. The client calls
// Health/Check inside an application span, so with working instrumentation the trace is
// fixture.decision -> grpc client span -> grpc server span. Prints the decision's trace id.
import * as grpc from "@grpc/grpc-js";
import { trace } from "@opentelemetry/api";
import { startGrpcServer } from "../../grpc/server.js";
import { HealthCheckRequest, HealthCheckResponse } from "./health-messages.js";

const server = await startGrpcServer({ address: "127.0.0.1:0", services: [] });
const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());

const tracer = trace.getTracer("traced-grpc-pair");
const traceId = await tracer.startActiveSpan("fixture.decision", async (span) => {
  await new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      HealthCheckRequest.encode,
      HealthCheckResponse.decode,
      { service: "" },
      (err) => (err ? reject(err) : resolve()),
    );
  });
  span.end();
  return span.spanContext().traceId;
});
process.stdout.write(JSON.stringify({ traceId }) + "\n");
client.close();
await server.shutdown(1000);
