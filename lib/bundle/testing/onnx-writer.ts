// A minimal ONNX ModelProto writer for test fixtures: float32 tensors, a few ops, metadata.
// Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
import { BinaryWriter } from "@bufbuild/protobuf/wire";

export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only (e.g. Softmax axis). */
  intAttrs?: Record<string, number>;
}

export interface OnnxIo {
  name: string;
  /** -1 = symbolic batch dimension "N". */
  dims: number[];
}

export interface OnnxGraphSpec {
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  metadata?: Record<string, string>;
  opset?: number;
}

const FLOAT = 1;
const ATTR_INT = 2;

function writeValueInfo(w: BinaryWriter, io: OnnxIo): void {
  w.tag(1, 2).string(io.name);
  w.tag(2, 2).fork(); // TypeProto
  w.tag(1, 2).fork(); // TypeProto.Tensor
  w.tag(1, 0).int32(FLOAT);
  w.tag(2, 2).fork(); // TensorShapeProto
  for (const d of io.dims) {
    w.tag(1, 2).fork();
    if (d < 0) w.tag(2, 2).string("N");
    else w.tag(1, 0).int64(d);
    w.join();
  }
  w.join().join().join();
}

function writeTensor(w: BinaryWriter, t: OnnxTensor): void {
  for (const d of t.dims) w.tag(1, 0).int64(d);
  w.tag(2, 0).int32(FLOAT);
  w.tag(8, 2).string(t.name);
  w.tag(9, 2).bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeNode(w: BinaryWriter, n: OnnxNode, i: number): void {
  for (const s of n.inputs) w.tag(1, 2).string(s);
  for (const s of n.outputs) w.tag(2, 2).string(s);
  w.tag(3, 2).string(`${n.opType.toLowerCase()}_${i}`);
  w.tag(4, 2).string(n.opType);
  for (const [name, value] of Object.entries(n.intAttrs ?? {})) {
    w.tag(5, 2).fork();
    w.tag(1, 2).string(name);
    w.tag(3, 0).int64(value);
    w.tag(20, 0).int32(ATTR_INT);
    w.join();
  }
}

/** Encodes a ModelProto (IR version 8, default opset 13). */
export function encodeOnnxModel(spec: OnnxGraphSpec): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, 0).int64(8); // ir_version
  w.tag(2, 2).string("overseer-test-fixture");
  w.tag(7, 2).fork(); // graph
  spec.nodes.forEach((n, i) => {
    w.tag(1, 2).fork();
    writeNode(w, n, i);
    w.join();
  });
  w.tag(2, 2).string("g");
  for (const t of spec.initializers) {
    w.tag(5, 2).fork();
    writeTensor(w, t);
    w.join();
  }
  for (const io of spec.inputs) {
    w.tag(11, 2).fork();
    writeValueInfo(w, io);
    w.join();
  }
  for (const io of spec.outputs) {
    w.tag(12, 2).fork();
    writeValueInfo(w, io);
    w.join();
  }
  w.join();
  w.tag(8, 2).fork(); // opset_import
  w.tag(1, 2).string("");
  w.tag(2, 0).int64(spec.opset ?? 13);
  w.join();
  for (const [k, v] of Object.entries(spec.metadata ?? {})) {
    w.tag(14, 2).fork();
    w.tag(1, 2).string(k);
    w.tag(2, 2).string(v);
    w.join();
  }
  return w.finish();
}
