// HTTP/2 receive windows of our gRPC servers. grpc-js leaves a server connection at the protocol's
// initial 65,535-octet windows (stream and connection) and offers no option for them; the peer may
// then have at most 64 KiB in flight before it waits for a WINDOW_UPDATE. A ScoreNodes request for
// 5,000 nodes is ~60 KB (longer node names: more), and since the server only acknowledges a half
// window at a time, every such call stopped part-way, a round trip between the processes, before
// its last octets could be sent. This opens wider windows on every connection, as grpc-java does
// by default (1 MiB). Memory stays bounded: a stream grpc-js has paused holds at most
// the stream window, and all streams of a connection together at most the connection window.
import type * as http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";

export interface ReceiveWindows {
  /** Initial window of each stream (the SETTINGS_INITIAL_WINDOW_SIZE the server announces). */
  streamBytes: number;
  /** Window of the whole connection. */
  connectionBytes: number;
}

/**
 * grpc-java's default (1 MiB, stream and connection). Not larger: while scorer-svc cannot keep up,
 * each agent connection may leave up to its connection window unread in the service's memory
 * before the agent is held back (with thousands of agents, a 4 MiB window would be gigabytes).
 */
export const DEFAULT_RECEIVE_WINDOWS: ReceiveWindows = { streamBytes: 1 << 20, connectionBytes: 1 << 20 };

/**
 * grpc-js channel options with which our clients open the same windows for answers (grpc-js's own
 * client default is also 64 KiB): ListNodeStates of thousands of nodes, full ScoreNodes answers,
 * large Classify batches.
 */
export const CLIENT_RECEIVE_WINDOW_OPTIONS = { "grpc-node.flow_control_window": DEFAULT_RECEIVE_WINDOWS.streamBytes } as const;

/** The largest window HTTP/2 allows (RFC 9113, 6.9.1). */
const MAX_WINDOW = 2 ** 31 - 1;

export function checkReceiveWindows(w: ReceiveWindows): void {
  for (const [k, v] of Object.entries(w)) {
    if (!Number.isInteger(v) || v < 65_535 || v > MAX_WINDOW) throw new RangeError(`${k} must be an integer in 65535..${MAX_WINDOW}, got ${v}`);
  }
}

/** Announces the windows on one server session (a session already closing is left alone). */
export function applyReceiveWindows(session: http2.ServerHttp2Session, w: ReceiveWindows): void {
  if (session.destroyed || session.closed) return;
  session.setLocalWindowSize(w.connectionBytes);
  session.settings({ initialWindowSize: w.streamBytes });
}

/**
 * Opens the windows on every connection `server` accepts from now on. grpc-js keeps its HTTP/2
 * servers in a private map (`http2Servers`, @grpc/grpc-js 1.x); false when it is not there, and
 * the connections keep the 64 KiB windows (a test pins this for the installed version).
 * Call after bindAsync has resolved.
 */
export function widenReceiveWindows(server: grpc.Server, w: ReceiveWindows = DEFAULT_RECEIVE_WINDOWS): boolean {
  checkReceiveWindows(w);
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return false;
  for (const h of servers.keys() as IterableIterator<http2.Http2Server>) {
    h.on("session", (session: http2.ServerHttp2Session) => {
      try {
        applyReceiveWindows(session, w);
      } catch {
        // The session went away between accept and here: nothing to widen.
      }
    });
  }
  return true;
}
