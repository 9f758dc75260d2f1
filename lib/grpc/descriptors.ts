// The serialized file descriptors of the overseer.v1 contracts and grpc.health.v1, exactly as buf
// compiled them (gen/*/descriptor-set.ts, written by scripts/protoc-gen-descriptor-set.mjs).
import { FILE_DESCRIPTORS as HEALTH_FILES } from "../../gen/health/v1/descriptor-set.js";
import { FILE_DESCRIPTORS as OVERSEER_FILES } from "../../gen/overseer/v1/descriptor-set.js";
import { DescriptorIndex } from "./reflection.js";

/** name -> serialized FileDescriptorProto, dependencies first, each file once. */
export function serializedFileDescriptors(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, b64] of [...OVERSEER_FILES, ...HEALTH_FILES]) if (!out.has(name)) out.set(name, Buffer.from(b64, "base64"));
  return out;
}

let cached: DescriptorIndex | undefined;

export function reflectionIndex(): DescriptorIndex {
  cached ??= new DescriptorIndex(serializedFileDescriptors());
  return cached;
}
