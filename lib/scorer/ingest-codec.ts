// IngestNodeStatesRequest decoding that keeps each state's wire bytes beside the decoded state, so
// the store keeps those bytes (node-state-store.ts, "What the store keeps") instead of encoding
// the state again (an encode per accepted state cost more than the rest of the upsert). The decoded
// states are exactly the generated decoder's; a message with anything but fields 1 and 2 (length-
// delimited) goes to the generated decoder and its states are encoded by the store as before.
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { IngestNodeStatesRequest } from "../../gen/overseer/v1/scorer_service.js";
import { readVarint } from "./varint.js";

/** A decoded request with the wire bytes of `state` and of each of `states` (views of the message). */
export interface IngestRequestWithBytes extends IngestNodeStatesRequest {
  stateBytes?: Uint8Array;
  statesBytes?: Uint8Array[];
}


export function decodeIngestRequest(bytes: Uint8Array): IngestRequestWithBytes {
  const end = bytes.length;
  let pos = 0;
  let state: NodeState | undefined;
  let stateBytes: Uint8Array | undefined;
  const states: NodeState[] = [];
  const statesBytes: Uint8Array[] = [];
  const cur = { pos: 0 };
  while (pos < end) {
    const tag = bytes[pos]!;
    if (tag !== 0x0a && tag !== 0x12) return IngestNodeStatesRequest.decode(bytes);
    const len = readVarint(bytes, pos + 1, end, cur);
    if (len < 0 || cur.pos + len > end) return IngestNodeStatesRequest.decode(bytes);
    const sub = bytes.subarray(cur.pos, cur.pos + len);
    pos = cur.pos + len;
    if (tag === 0x0a) {
      // A repeated singular message field merges (proto3): leave that to the generated decoder.
      if (state) return IngestNodeStatesRequest.decode(bytes);
      state = NodeState.decode(new BinaryReader(sub));
      stateBytes = sub;
    } else {
      states.push(NodeState.decode(new BinaryReader(sub)));
      statesBytes.push(sub);
    }
  }
  return { state, states, stateBytes, statesBytes };
}
