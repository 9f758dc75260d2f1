// The file descriptors of the overseer.v1 contracts, taken from what ts-proto embeds in gen/
// (outputSchema=true), plus grpc.health.v1, so reflection always matches the generated code.
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { FileDescriptorProto } from "ts-proto-descriptors";
import { protoMetadata as agentMeta } from "../../gen/overseer/v1/agent_service.js";
import { protoMetadata as evalMeta } from "../../gen/overseer/v1/eval_service.js";
import { protoMetadata as regimeMeta } from "../../gen/overseer/v1/regime_service.js";
import { protoMetadata as scorerMeta } from "../../gen/overseer/v1/scorer_service.js";
import { DescriptorIndex } from "./reflection.js";

interface Meta {
  fileDescriptor: FileDescriptorProto;
  dependencies?: Meta[];
}

/** Every overseer.v1 file and its imports, each once, dependencies first. */
export function collectFileDescriptors(roots: Meta[] = [agentMeta, evalMeta, regimeMeta, scorerMeta] as Meta[]): FileDescriptorProto[] {
  const seen = new Map<string, FileDescriptorProto>();
  const visit = (m: Meta) => {
    if (seen.has(m.fileDescriptor.name)) return;
    for (const d of m.dependencies ?? []) visit(d);
    seen.set(m.fileDescriptor.name, FileDescriptorProto.fromPartial(m.fileDescriptor));
  };
  roots.forEach(visit);
  return [...seen.values()];
}

function healthFileDescriptors(): FileDescriptorProto[] {
  const def = protoLoader.loadSync(healthProtoPath);
  const protos = (def["grpc.health.v1.HealthCheckRequest"] as unknown as { fileDescriptorProtos: Buffer[] }).fileDescriptorProtos;
  return protos.map((b) => FileDescriptorProto.decode(b));
}

let cached: DescriptorIndex | undefined;

export function reflectionIndex(): DescriptorIndex {
  cached ??= new DescriptorIndex([...collectFileDescriptors(), ...healthFileDescriptors()]);
  return cached;
}
