// Fast decode of the body kube-scheduler sends with nodeCacheCapable: true:
//   {"Pod":{...},"Nodes":null,"NodeNames":["node-0",...]}
// The Pod (a few hundred bytes) goes through JSON.parse and decodePod as before; the NodeNames
// array (thousands of names, most of the body) is scanned in place: each name is a slice of the
// body text, duplicates are found with a reused open-addressing hash table instead of a Map,
// and the name -> index Map is built only when something asks for it (the filter and the
// scorer-answer repair paths; the prioritize hot path does not). Profiled at 1,000 nodes, the
// full JSON.parse and decodeExtenderArgs were ~450 us of ~2.1 ms of extender CPU per call.
//
// The scanner accepts a strict subset of JSON: a top-level object with only the keys Pod,
// Nodes (null) and NodeNames (an array of plain printable-ASCII strings, no escapes), each at
// most once. Anything else, valid or not (escapes, other keys, Nodes objects, empty lists,
// malformed text), goes to the generic path, decodeExtenderArgs(parseJsonBody(text)), so every
// error message and every unusual-but-valid body is handled exactly as before (tested for equality).
import { decodeExtenderArgs, decodePod, MAX_NODE_NAME_LENGTH, parseJsonBody, type ExtenderRequest, type PodInfo } from "./wire.js";
import { MIN_REMEMBERED_NAMES } from "../scorer/score-nodes-codec.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** End (exclusive) of the string starting with the quote at `i`, escapes skipped; -1 if unterminated. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/**
 * End (exclusive) of the object starting with the brace at `i` (brackets balanced, strings
 * skipped); -1 if it does not close. Not a validator: JSON.parse of the slice validates.
 */
function skipObject(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) {
      j = skipString(s, j);
      if (j < 0) return -1;
      j--;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return j + 1;
    }
  }
  return -1;
}

/**
 * The NodeNames array as Go's encoding/json writes it (no whitespace) with plain names: printable
 * ASCII without space, quote, comma or backslash, 1-253 characters. One native regex test and one
 * split replace a per-character loop; anything else takes the per-character scan below.
 */
const PLAIN_NAMES = /^"[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,253}"(?:,"[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{1,253}")*$/;

/**
 * The last plain NodeNames text of MIN_REMEMBERED_NAMES or more names and its names, frozen:
 * kube-scheduler sends the same candidate list for pod after pod, and the same (frozen) array lets
 * the scorer request's encoder reuse its bytes too (score-nodes-codec.ts).
 */
let lastPlain: { region: string; names: readonly string[] } = { region: "", names: [] };

/**
 * Scans `["a","b",...]` at `i`. Returns the distinct names in order and the end index, or
 * undefined when the array is not a non-empty list of plain names (the generic path decides).
 */
function scanNames(s: string, i: number): { names: string[]; end: number } | undefined {
  if (s.charCodeAt(i) !== 0x5b) return undefined;
  // A "]" inside a name cuts the region short of its closing quote, so the regex fails.
  const close = s.indexOf("]", i);
  if (close > i + 2) {
    const region = s.slice(i + 1, close);
    if (region === lastPlain.region) return { names: lastPlain.names as string[], end: close + 1 };
    if (PLAIN_NAMES.test(region)) {
      const names = Object.freeze(dedupe(region.slice(1, -1).split('","')));
      if (names.length >= MIN_REMEMBERED_NAMES) lastPlain = { region, names };
      return { names: names as string[], end: close + 1 };
    }
  }
  i = skipWs(s, i + 1);
  const all: string[] = [];
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return undefined;
    const start = i + 1;
    let j = start;
    for (;; j++) {
      const c = s.charCodeAt(j);
      if (c === QUOTE) break;
      // Control characters, escapes, non-ASCII and the end of the text: generic path.
      if (!(c >= 0x20 && c < 0x7f) || c === BACKSLASH) return undefined;
    }
    const len = j - start;
    if (len === 0 || len > MAX_NODE_NAME_LENGTH) return undefined;
    all.push(s.slice(start, j));
    i = skipWs(s, j + 1);
    const c = s.charCodeAt(i);
    if (c === 0x2c) i = skipWs(s, i + 1);
    else if (c === 0x5d) break;
    else return undefined;
  }
  return { names: dedupe(all), end: i + 1 };
}

// Reused between calls (a call runs to completion synchronously, so one table suffices).
let table = new Int32Array(1 << 12);
let hashes = new Int32Array(1 << 11);

/**
 * Hash of a name from its length, its last 8 and first 4 characters (node names differ mostly
 * at the ends): a bounded cost per name. Equal names hash equal; collisions only cost probes.
 */
function nameHash(s: string): number {
  const n = s.length;
  let h = Math.imul(n, 0x9e3779b1);
  const tail = n > 12 ? n - 8 : 0;
  for (let j = tail; j < n; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
  for (let j = 0; j < 4 && j < tail; j++) h = Math.imul(h ^ s.charCodeAt(j), 0x01000193);
  return h ^ (h >>> 15);
}

/** Drops repeated names (first occurrence kept) with an open-addressing table of indices. */
function dedupe(all: string[]): string[] {
  const n = all.length;
  let size = table.length;
  while (size < 2 * n) size *= 2;
  if (size !== table.length) table = new Int32Array(size);
  if (hashes.length < n) hashes = new Int32Array(size);
  const mask = size - 1;
  table.fill(-1);
  let out: string[] | undefined;
  for (let k = 0; k < n; k++) {
    const name = all[k]!;
    const h = nameHash(name);
    hashes[k] = h;
    let slot = h & mask;
    let dup = false;
    for (let t = table[slot]!; t !== -1; t = table[slot]!) {
      if (hashes[t] === h && all[t] === name) {
        dup = true;
        break;
      }
      slot = (slot + 1) & mask;
    }
    if (dup) {
      out ??= all.slice(0, k);
      continue;
    }
    table[slot] = k;
    out?.push(name);
  }
  return out ?? all;
}

/** An ExtenderRequest in names mode whose name -> index Map is built on first use. */
class NamesRequest implements ExtenderRequest {
  readonly mode = "names" as const;
  /** Both scans admit only printable ASCII without quote or backslash. */
  readonly plainNames = true;
  #index: Map<string, number> | undefined;
  constructor(
    readonly pod: PodInfo,
    readonly nodeNames: string[],
  ) {}
  get indexByName(): ReadonlyMap<string, number> {
    if (this.#index === undefined) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.nodeNames.length; i++) m.set(this.nodeNames[i]!, i);
      this.#index = m;
    }
    return this.#index;
  }
}

/** The fast path; undefined when the body is not in the plain names-mode shape. */
export function scanNamesModeBody(s: string): ExtenderRequest | undefined {
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== 0x7b) return undefined;
  i = skipWs(s, i + 1);
  let podStart = -1;
  let podEnd = -1;
  let names: string[] | undefined;
  let sawNodes = false;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) return undefined;
    const keyEnd = s.indexOf('"', i + 1);
    if (keyEnd < 0) return undefined;
    // Raw key text: an escaped spelling of a known key matches none of these, so it goes generic.
    const key = s.slice(i + 1, keyEnd);
    i = skipWs(s, keyEnd + 1);
    if (s.charCodeAt(i) !== 0x3a) return undefined;
    i = skipWs(s, i + 1);
    if (key === "Pod" && podStart < 0) {
      if (s.charCodeAt(i) !== 0x7b) return undefined;
      podStart = i;
      podEnd = skipObject(s, i);
      if (podEnd < 0) return undefined;
      i = podEnd;
    } else if (key === "Nodes" && !sawNodes) {
      sawNodes = true;
      if (!s.startsWith("null", i)) return undefined;
      i += 4;
    } else if (key === "NodeNames" && names === undefined) {
      const scanned = scanNames(s, i);
      if (scanned === undefined) return undefined;
      names = scanned.names;
      i = scanned.end;
    } else return undefined;
    i = skipWs(s, i);
    const c = s.charCodeAt(i);
    if (c === 0x2c) i = skipWs(s, i + 1);
    else if (c === 0x7d) break;
    else return undefined;
  }
  if (skipWs(s, i + 1) !== s.length || podStart < 0 || names === undefined) return undefined;
  let podValue: unknown;
  try {
    podValue = JSON.parse(s.slice(podStart, podEnd));
  } catch {
    return undefined;
  }
  // Same checks and messages as the generic path (which also decodes the Pod first).
  return new NamesRequest(decodePod(podValue), names);
}

/**
 * Body text -> validated ExtenderRequest (or BadRequestError): the fast path for kube-scheduler's
 * usual names-mode body, the generic JSON.parse + decodeExtenderArgs for everything else.
 */
export function decodeExtenderBody(text: string): ExtenderRequest {
  return scanNamesModeBody(text) ?? decodeExtenderArgs(parseJsonBody(text));
}
