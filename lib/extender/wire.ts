// The kube-scheduler extender wire format (k8s.io/kube-scheduler/extender/v1, types.go).
// Go marshals these structs without json tags, so the top-level fields are PascalCase
// (Pod, Nodes, NodeNames, FailedNodes, ...); the embedded Pod and Node objects are ordinary
// camelCase Kubernetes JSON. decode* turns a parsed body into a validated request or throws
// BadRequestError; encode* builds the answer objects.
import { BadRequestError } from "./errors.js";
import { MIN_REMEMBERED_NAMES } from "../scorer/score-nodes-codec.js";

/** MaxExtenderPriority: kube-scheduler multiplies an extender score by weight * (100 / 10). */
export const MAX_EXTENDER_PRIORITY = 10;
export const MIN_EXTENDER_PRIORITY = 0;
export const MAX_NODE_NAME_LENGTH = 253;

/** The part of a Pod the extender reads (the rest of the object is ignored). */
export interface PodInfo {
  name: string;
  namespace: string;
  uid: string;
  annotations: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
}

/**
 * "names": nodeCacheCapable: true — NodeNames in, NodeNames out.
 * "nodes": nodeCacheCapable: false — Nodes.items (full Node objects) in, Nodes out.
 */
export type CandidateMode = "names" | "nodes";

export interface ExtenderRequest {
  pod: PodInfo;
  mode: CandidateMode;
  /** Distinct candidate names in request order (duplicates dropped). */
  nodeNames: string[];
  /** Position of each name in nodeNames. */
  indexByName: ReadonlyMap<string, number>;
  /** True when every name is known to be printable ASCII without quote or backslash (set by the body scan). */
  plainNames?: boolean;
  /** mode "nodes": the Node objects exactly as received, aligned with nodeNames, echoed back unchanged. */
  nodes?: unknown[];
}

/** One entry of HostPriorityList. */
export interface HostPriority {
  Host: string;
  Score: number;
}

/** ExtenderFilterResult as kube-scheduler decodes it. */
export interface ExtenderFilterResult {
  Nodes: { metadata: Record<string, never>; items: unknown[] } | null;
  NodeNames: string[] | null;
  FailedNodes: Record<string, string>;
  FailedAndUnresolvableNodes: Record<string, string>;
  Error: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

/** Parses the raw body text; a syntax error becomes 400 with the parser's message. */
export function parseJsonBody(text: string): unknown {
  // A search for the first non-blank character, not trim(): trim copies the whole body.
  if (!/\S/.test(text)) throw new BadRequestError("empty request body (expected ExtenderArgs JSON)");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadRequestError(`malformed JSON: ${(e as Error).message}`, { cause: e });
  }
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new BadRequestError(`${field} must be an object of strings, got ${describe(v)}`);
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") throw new BadRequestError(`${field}[${JSON.stringify(k)}] must be a string, got ${describe(val)}`);
  }
  return v as Record<string, string>;
}

function optionalString(v: unknown, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new BadRequestError(`${field} must be a string, got ${describe(v)}`);
  return v;
}

export function decodePod(v: unknown): PodInfo {
  if (!isObject(v)) throw new BadRequestError(`Pod must be a Pod object, got ${v === undefined ? "nothing" : describe(v)}`);
  const meta = v.metadata;
  if (!isObject(meta)) throw new BadRequestError(`Pod.metadata must be an object, got ${meta === undefined ? "nothing" : describe(meta)}`);
  const name = optionalString(meta.name, "Pod.metadata.name");
  if (name === "") throw new BadRequestError("Pod.metadata.name is missing");
  return {
    name,
    namespace: optionalString(meta.namespace, "Pod.metadata.namespace"),
    uid: optionalString(meta.uid, "Pod.metadata.uid"),
    annotations: stringMap(meta.annotations, "Pod.metadata.annotations"),
    labels: stringMap(meta.labels, "Pod.metadata.labels"),
  };
}

function checkNodeName(v: unknown, field: string): string {
  if (typeof v !== "string") throw new BadRequestError(`${field} must be a node name string, got ${describe(v)}`);
  if (v === "") throw new BadRequestError(`${field} is an empty node name`);
  if (v.length > MAX_NODE_NAME_LENGTH) throw new BadRequestError(`${field} is longer than ${MAX_NODE_NAME_LENGTH} characters`);
  return v;
}

/** Validates an ExtenderArgs document (filter and prioritize take the same arguments). */
export function decodeExtenderArgs(body: unknown): ExtenderRequest {
  if (!isObject(body)) throw new BadRequestError(`body must be an ExtenderArgs object, got ${describe(body)}`);
  const pod = decodePod(body.Pod);
  const hasNames = body.NodeNames !== undefined && body.NodeNames !== null;
  const hasNodes = body.Nodes !== undefined && body.Nodes !== null;
  if (hasNames && hasNodes) throw new BadRequestError("send either NodeNames (nodeCacheCapable: true) or Nodes (false), not both");
  if (!hasNames && !hasNodes) throw new BadRequestError("no candidates: NodeNames (nodeCacheCapable: true) or Nodes.items (false) is required");

  if (hasNames) {
    const list = body.NodeNames;
    if (!Array.isArray(list)) throw new BadRequestError(`NodeNames must be an array of strings, got ${describe(list)}`);
    if (list.length === 0) throw new BadRequestError("NodeNames is empty (no candidate nodes)");
    const indexByName = new Map<string, number>();
    const nodeNames: string[] = [];
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      // The field label is built only for an error: a template string per name cost more than the check.
      const name = typeof v === "string" && v !== "" && v.length <= MAX_NODE_NAME_LENGTH ? v : checkNodeName(v, `NodeNames[${i}]`);
      if (!indexByName.has(name)) indexByName.set(name, nodeNames.push(name) - 1);
    }
    return { pod, mode: "names", nodeNames, indexByName };
  }

  const nodes = body.Nodes;
  if (!isObject(nodes)) throw new BadRequestError(`Nodes must be a NodeList object, got ${describe(nodes)}`);
  const items = nodes.items;
  if (!Array.isArray(items)) throw new BadRequestError(`Nodes.items must be an array of Node objects, got ${items === undefined ? "nothing" : describe(items)}`);
  if (items.length === 0) throw new BadRequestError("Nodes.items is empty (no candidate nodes)");
  const indexByName = new Map<string, number>();
  const nodeNames: string[] = [];
  const kept: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    const node = items[i];
    if (!isObject(node) || !isObject(node.metadata)) throw new BadRequestError(`Nodes.items[${i}] must be a Node object with metadata`);
    const raw = node.metadata.name;
    const name = typeof raw === "string" && raw !== "" && raw.length <= MAX_NODE_NAME_LENGTH ? raw : checkNodeName(raw, `Nodes.items[${i}].metadata.name`);
    if (!indexByName.has(name)) {
      indexByName.set(name, nodeNames.push(name) - 1);
      kept.push(node);
    }
  }
  return { pod, mode: "nodes", nodeNames, indexByName, nodes: kept };
}

/**
 * Builds ExtenderFilterResult in the request's mode. Only names that were in the request are
 * answered: feasible and failed names outside it are dropped here, whatever the caller passes.
 */
export function encodeFilterResult(
  req: ExtenderRequest,
  feasible: readonly string[],
  failed: ReadonlyMap<string, string>,
): ExtenderFilterResult {
  const inRequest = req.indexByName;
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const name of feasible) {
    if (inRequest.has(name) && !seen.has(name) && !failed.has(name)) {
      seen.add(name);
      kept.push(name);
    }
  }
  // fromEntries defines own properties, so even a name like "__proto__" stays a plain key.
  const failedNodes: Record<string, string> = Object.fromEntries([...failed].filter(([name]) => inRequest.has(name)));
  return {
    Nodes: req.mode === "nodes" ? { metadata: {}, items: kept.map((n) => req.nodes![req.indexByName.get(n)!]) } : null,
    NodeNames: req.mode === "names" ? kept : null,
    FailedNodes: failedNodes,
    FailedAndUnresolvableNodes: {},
    Error: "",
  };
}

/** Clamps to an integer in [0, MaxExtenderPriority]; non-finite becomes 0 (worst). */
export function clampScore(score: number): number {
  if (!Number.isFinite(score)) return MIN_EXTENDER_PRIORITY;
  return Math.min(MAX_EXTENDER_PRIORITY, Math.max(MIN_EXTENDER_PRIORITY, Math.round(score)));
}

/**
 * Builds HostPriorityList: one entry per requested node, in request order, from scores aligned
 * with req.nodeNames. Names outside the request cannot appear (the loop is over the request).
 */
export function encodePrioritizeResult(req: ExtenderRequest, scores: readonly number[]): HostPriority[] {
  if (scores.length !== req.nodeNames.length) throw new Error(`${scores.length} scores for ${req.nodeNames.length} candidates`);
  return req.nodeNames.map((name, i) => ({ Host: name, Score: clampScore(scores[i]!) }));
}

/**
 * JSON text of a HostPriorityList, equal to JSON.stringify(list) (tested): built as one string,
 * names needing no escape copied as they are. At thousands of nodes this costs well under half
 * of JSON.stringify over the objects.
 */
export function stringifyHostPriorities(list: readonly HostPriority[]): string {
  let out = "[";
  for (let i = 0; i < list.length; i++) {
    const { Host, Score } = list[i]!;
    const host = needsJsonEscape(Host) ? JSON.stringify(Host) : `"${Host}"`;
    const score = Number.isFinite(Score) ? String(Score) : "null";
    out += `${i === 0 ? "" : ","}{"Host":${host},"Score":${score}}`;
  }
  return out + "]";
}

// `","Score":N},{"Host":"` and `","Score":N}]` for every score 0..MaxExtenderPriority.
const NEXT = Array.from({ length: MAX_EXTENDER_PRIORITY + 1 }, (_, s) => `","Score":${s}},{"Host":"`);
const LAST = Array.from({ length: MAX_EXTENDER_PRIORITY + 1 }, (_, s) => `","Score":${s}}]`);

/** True when every name is printable ASCII without quote or backslash (JSON copies it as is). */
export function namesArePlain(names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    for (let k = 0; k < name.length; k++) {
      const c = name.charCodeAt(k);
      if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) return false;
    }
  }
  return true;
}

/**
 * HostPriorityList JSON bytes straight from names and scores aligned with them (scores clamped
 * like encodePrioritizeResult), without per-node objects: plain names are concatenated with a
 * precomputed `","Score":N},{"Host":"` per score and the text is written as latin1 (= its
 * UTF-8 for ASCII). Equal to Buffer.from(JSON.stringify(encodePrioritizeResult(...))) (tested).
 * `plain` (from the body scan, which admits only plain names) skips the check.
 */
export function encodeHostPrioritiesJson(names: readonly string[], scores: ArrayLike<number>, plain = namesArePlain(names)): Buffer {
  const n = names.length;
  if (scores.length !== n) throw new Error(`${scores.length} scores for ${n} candidates`);
  if (n === 0) return Buffer.from("[]");
  if (!plain) return Buffer.from(stringifyHostPriorities(names.map((Host, j) => ({ Host, Score: clampScore(scores[j]!) }))), "utf8");
  const memo = lastAnswer.names === names ? lastAnswer : undefined;
  if (memo) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = memo.scores[i] === clampScore(scores[i]!);
    // The same frozen candidate list scored the same as last time (same workload class, no node
    // changed): the same bytes. A Buffer handed to a response is never written to afterwards.
    if (same) return memo.bytes;
  }
  let text = '[{"Host":"';
  for (let i = 0; i < n - 1; i++) text += names[i]! + NEXT[clampScore(scores[i]!)]!;
  text += names[n - 1]! + LAST[clampScore(scores[n - 1]!)]!;
  const bytes = Buffer.from(text, "latin1");
  if (Object.isFrozen(names) && n >= MIN_REMEMBERED_NAMES) {
    const kept = new Uint8Array(n);
    for (let i = 0; i < n; i++) kept[i] = clampScore(scores[i]!);
    lastAnswer = { names, scores: kept, bytes };
  }
  return bytes;
}

/**
 * The last answer for a frozen candidate list (the body scan hands out kube-scheduler's repeated
 * list as one frozen array, body-scan.ts), with its clamped scores: served again when both repeat.
 */
let lastAnswer: { names: readonly string[] | undefined; scores: Uint8Array; bytes: Buffer } = { names: undefined, scores: new Uint8Array(0), bytes: Buffer.alloc(0) };

/** True when JSON.stringify would escape a character of `s` (quote, backslash, control, lone surrogate). */
function needsJsonEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}
