// gRPC server reflection (v1 and v1alpha) answered with the file descriptors exactly as buf
// compiled them. (@grpc/proto-loader merges a descriptor set's files into one, and re-encoding
// descriptors with a proto3-style encoder drops proto2 defaults; either breaks grpcurl.)
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { createRequire } from "node:module";
import path from "node:path";
import { FileDescriptorProto, type DescriptorProto } from "ts-proto-descriptors";

const require = createRequire(import.meta.url);
const PROTO_ROOT = path.join(path.dirname(require.resolve("@grpc/reflection/package.json")), "build/proto");

interface FileEntry {
  proto: FileDescriptorProto;
  bytes: Buffer;
}

export class DescriptorIndex {
  private readonly files = new Map<string, FileEntry>();
  private readonly symbols = new Map<string, string>();
  readonly services: string[] = [];

  /** Serialized FileDescriptorProtos by file name; they are served as given, only read to index. */
  constructor(files: ReadonlyMap<string, Buffer>) {
    for (const bytes of files.values()) this.add(bytes);
  }

  private add(bytes: Buffer): void {
    const f = FileDescriptorProto.decode(bytes);
    if (this.files.has(f.name)) return;
    this.files.set(f.name, { proto: f, bytes });
    const prefix = f.package ? `${f.package}.` : "";
    const addMessage = (m: DescriptorProto, scope: string) => {
      const name = `${scope}${m.name}`;
      this.symbols.set(name, f.name);
      for (const e of m.enumType) this.symbols.set(`${name}.${e.name}`, f.name);
      for (const n of m.nestedType) addMessage(n, `${name}.`);
    };
    for (const m of f.messageType) addMessage(m, prefix);
    for (const e of f.enumType) this.symbols.set(`${prefix}${e.name}`, f.name);
    for (const s of f.service) {
      const name = `${prefix}${s.name}`;
      this.services.push(name);
      this.symbols.set(name, f.name);
      for (const m of s.method) this.symbols.set(`${name}.${m.name}`, f.name);
    }
  }

  /** The file and everything it imports, the file first. */
  fileWithDependencies(fileName: string): Buffer[] | undefined {
    if (!this.files.has(fileName)) return undefined;
    const out: Buffer[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      const e = this.files.get(name);
      if (!e || seen.has(name)) return;
      seen.add(name);
      out.push(e.bytes);
      e.proto.dependency.forEach(visit);
    };
    visit(fileName);
    return out;
  }

  fileOfSymbol(symbol: string): string | undefined {
    return this.symbols.get(symbol.replace(/^\./, ""));
  }
}

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: unknown;
  all_extension_numbers_of_type?: string;
  list_services?: string;
  message_request?: string;
}

const NOT_FOUND = 5;
const UNIMPLEMENTED = 12;

/**
 * One reflection answer. `served` limits list_services to the services this server registered
 * (plus health and reflection); descriptors of other contract files are still answerable.
 */
export function answerReflection(index: DescriptorIndex, req: ReflectionRequest, served?: readonly string[]): Record<string, unknown> {
  const base = { valid_host: req.host ?? "", original_request: req };
  const error = (code: number, message: string) => ({ ...base, error_response: { error_code: code, error_message: message } });
  const files = (list: Buffer[] | undefined, what: string) =>
    list ? { ...base, file_descriptor_response: { file_descriptor_proto: list } } : error(NOT_FOUND, `${what} not found`);
  switch (req.message_request) {
    case "list_services":
      return { ...base, list_services_response: { service: (served ?? index.services).map((name) => ({ name })) } };
    case "file_by_filename":
      return files(index.fileWithDependencies(req.file_by_filename ?? ""), `file ${req.file_by_filename}`);
    case "file_containing_symbol": {
      const file = index.fileOfSymbol(req.file_containing_symbol ?? "");
      return files(file ? index.fileWithDependencies(file) : undefined, `symbol ${req.file_containing_symbol}`);
    }
    case "all_extension_numbers_of_type":
      return { ...base, all_extension_numbers_response: { base_type_name: req.all_extension_numbers_of_type, extension_number: [] } };
    default:
      return error(UNIMPLEMENTED, `${req.message_request ?? "empty request"} is not supported`);
  }
}

const LOADER: protoLoader.Options = { keepCase: true, longs: String, enums: Number, defaults: false, oneofs: true };

/** Adds grpc.reflection.v1 and v1alpha ServerReflection to the server; lists `services` + health + reflection. */
export function addReflection(server: grpc.Server, index: DescriptorIndex, services: readonly string[]): void {
  const served = [...services, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
  for (const version of ["v1", "v1alpha"]) {
    const def = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, { ...LOADER, includeDirs: [PROTO_ROOT] });
    const svc = def[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition;
    server.addService(svc, {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, unknown>) => {
        call.on("data", (req: ReflectionRequest) => call.write(answerReflection(index, req, served)));
        call.on("end", () => call.end());
        call.on("error", () => undefined);
      },
    });
  }
}
