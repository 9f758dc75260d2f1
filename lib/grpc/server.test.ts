import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScorerServiceService, type GetNodeStateRequest } from "../../gen/overseer/v1/scorer_service.js";
import { FileDescriptorProto } from "ts-proto-descriptors";
import { InvalidArgumentError, NotFoundError, unary } from "./errors.js";
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
