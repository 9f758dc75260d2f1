import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScorerServiceService, type GetNodeStateRequest } from "../../gen/overseer/v1/scorer_service.js";
import { FileDescriptorProto } from "ts-proto-descriptors";
import { InvalidArgumentError, NotFoundError, unary } from "./errors.js";
import { serializedFileDescriptors } from "./descriptors.js";
import { startGrpcServer, type RunningGrpcServer } from "./server.js";

const require = createRequire(import.meta.url);
const reflectionProto = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build/proto/grpc/reflection/v1/reflection.proto");
const healthProto = path.join(path.dirname(require.resolve("grpc-health-check/package.json")), "proto/health/v1/health.proto");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = any;
function loadClient(protoFile: string, pkgPath: string[], port: number): AnyClient {
  const def = protoLoader.loadSync(protoFile, { keepCase: true, longs: String, enums: String, defaults: true });
  let obj: AnyClient = grpc.loadPackageDefinition(def);
  for (const p of pkgPath) obj = obj[p];
  return new obj(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

function reflect(client: AnyClient, request: object): Promise<AnyClient> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.on("data", (d: unknown) => {
      resolve(d);
      call.end();
    });
    call.on("error", reject);
    call.write(request);
  });
}

const notImplemented = unary(async () => {
  throw new InvalidArgumentError("not in this test");
});

describe("gRPC server with reflection and health", () => {
  let srv: RunningGrpcServer;
  let reflection: AnyClient;
  let health: AnyClient;

  beforeAll(async () => {
    srv = await startGrpcServer({
      address: "127.0.0.1:0",
      services: [
        {
          name: "overseer.v1.ScorerService",
          definition: ScorerServiceService,
          implementation: {
            ingestNodeStates: () => undefined,
            scoreNodes: notImplemented,
            filterNodes: notImplemented,
            explainScores: notImplemented,
            reportPlacement: notImplemented,
            listNodeStates: notImplemented,
            getNodeState: unary(async (req: GetNodeStateRequest) => {
              if (!req.nodeName) throw new InvalidArgumentError("node_name is required", "node_name");
              throw new NotFoundError(`no state for node ${req.nodeName}`);
            }),
          },
        },
      ],
    });
    reflection = loadClient(reflectionProto, ["grpc", "reflection", "v1", "ServerReflection"], srv.port);
    health = loadClient(healthProto, ["grpc", "health", "v1", "Health"], srv.port);
  });
  afterAll(async () => {
    reflection?.close();
    health?.close();
    await srv?.shutdown(100);
  });

  it("lists the registered service and the health service through reflection", async () => {
    const res = await reflect(reflection, { list_services: "" });
    const names = res.list_services_response.service.map((s: { name: string }) => s.name);
    expect(names).toContain("overseer.v1.ScorerService");
    expect(names).toContain("grpc.health.v1.Health");
    expect(names).not.toContain("overseer.v1.AgentService"); // not registered on this server
  });

  it("serves descriptors byte for byte as buf compiled them (proto2 defaults intact)", async () => {
    const res = await reflect(reflection, { file_by_filename: "overseer/v1/features.proto" });
    const served: Buffer[] = res.file_descriptor_response.file_descriptor_proto;
    const original = serializedFileDescriptors();
    expect(Buffer.compare(served[0]!, original.get("overseer/v1/features.proto")!)).toBe(0);
    // FeatureVector.values is `repeated double`: the type (1) must be on the wire, not left to defaults
    const values = FileDescriptorProto.decode(served[0]!).messageType.find((m) => m.name === "FeatureVector")!.field.find((f) => f.name === "values")!;
    expect(values.type).toBe(1);
    expect(served[0]!.includes(Buffer.from([0x28, 0x01]))).toBe(true); // field 5 (type) = 1, present
  });

  it("describes the health service from its compiled descriptor", async () => {
    const res = await reflect(reflection, { file_containing_symbol: "grpc.health.v1.Health" });
    const f = FileDescriptorProto.decode(res.file_descriptor_response.file_descriptor_proto[0]);
    expect(f.name).toBe("health/v1/health.proto");
    expect(f.messageType.find((m) => m.name === "HealthListResponse")!.nestedType[0]!.name).toBe("StatusesEntry");
  });

  it("answers an unknown symbol with NOT_FOUND in the stream", async () => {
    const res = await reflect(reflection, { file_containing_symbol: "overseer.v1.NoSuchThing" });
    expect(res.error_response.error_code).toBe(5);
  });

  it("describes a service with its file and the files it imports", async () => {
    const res = await reflect(reflection, { file_containing_symbol: "overseer.v1.ScorerService" });
    const files = res.file_descriptor_response.file_descriptor_proto.map((b: Buffer) => FileDescriptorProto.decode(b));
    const byName = new Map(files.map((f: FileDescriptorProto) => [f.name, f]));
    const scorer = byName.get("overseer/v1/scorer_service.proto") as FileDescriptorProto;
    expect(scorer.service[0]!.method.map((m) => m.name)).toEqual([
      "IngestNodeStates",
      "ScoreNodes",
      "FilterNodes",
      "ExplainScores",
      "ReportPlacement",
      "ListNodeStates",
      "GetNodeState",
    ]);
    expect(byName.has("overseer/v1/node_state.proto")).toBe(true);
  });

  it("reports NOT_SERVING until the service says it is ready, then SERVING", async () => {
    const check = (service: string) =>
      new Promise<string>((resolve, reject) => health.Check({ service }, (e: Error | null, r: { status: string }) => (e ? reject(e) : resolve(r.status))));
    expect(await check("overseer.v1.ScorerService")).toBe("NOT_SERVING");
    expect(await check("")).toBe("NOT_SERVING");
    srv.setServing("overseer.v1.ScorerService", true);
    expect(await check("overseer.v1.ScorerService")).toBe("SERVING");
    expect(await check("")).toBe("SERVING");
  });

  it("maps typed errors to status codes once, at the edge", async () => {
    const { ScorerServiceClient } = await import("../../gen/overseer/v1/scorer_service.js");
    const client = new ScorerServiceClient(`127.0.0.1:${srv.port}`, grpc.credentials.createInsecure());
    const call = (nodeName: string) =>
      new Promise<grpc.ServiceError>((resolve) => client.getNodeState({ nodeName }, (err) => resolve(err as grpc.ServiceError)));
    const missing = await call("");
    expect(missing.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(missing.details).toMatch(/node_name is required/);
    const unknown = await call("node-7");
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.details).toMatch(/node-7/);
    client.close();
  });
});
