// The extender's HTTP/2 connection in TypeScript (lib/extender/h2-connection.ts under
// H2UnaryClient) against real servers on 127.0.0.1: grpc-js servers (interop) and node:http2
// servers scripted for wire cases — flow control with small windows, GOAWAY, RST_STREAM,
// CONTINUATION, HPACK dynamic table and Huffman from nghttp2, server PING, MAX_CONCURRENT_STREAMS,
// stream-id roll-over — plus TCP relays that re-chunk or coalesce the server's bytes, and servers
// that do not speak HTTP/2 at all.
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ScoreNodesRequest as ScoreNodesRequestCodec,
  ScoreNodesResponse as ScoreNodesResponseCodec,
  ScorerServiceService,
  type ScoreNodesRequest,
} from "../gen/overseer/v1/scorer_service.js";
import { frameMessage, GrpcCallFailure, GrpcCode } from "../lib/extender/grpc-wire.js";
import { FrameType } from "../lib/extender/h2-frames.js";
import { encodeHeaderBlock, type HeaderList } from "../lib/extender/hpack.js";
import { H2Connection, type StreamSink } from "../lib/extender/h2-connection.js";
import { createH2ScorerBackend } from "../lib/extender/h2-scorer-backend.js";
import { H2UnaryClient } from "../lib/extender/h2-unary-client.js";
import type { ScorerBackend } from "../lib/extender/scorer-backend.js";
import { tableScores } from "./extender-fixtures.js";
import { rejection } from "./rejection.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const client = (address: string, opts: Partial<ConstructorParameters<typeof H2UnaryClient>[0]> = {}) => {
  const c = new H2UnaryClient({ address, ...opts });
  cleanups.push(() => c.close());
  return c;
};

const failure = (p: Promise<unknown>) => rejection(p, GrpcCallFailure);

/** A node:http2 server; `onStream` gets each request once its body is complete. */
async function startH2(
  onStream: (stream: http2.ServerHttp2Stream, body: Buffer, headers: http2.IncomingHttpHeaders) => void,
  options: http2.ServerOptions = {},
): Promise<{ address: string; server: http2.Http2Server; sessions: http2.ServerHttp2Session[] }> {
  const server = http2.createServer(options);
  const sessions: http2.ServerHttp2Session[] = [];
  server.on("session", (s) => sessions.push(s));
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => onStream(stream, Buffer.concat(chunks), headers));
    stream.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server, sessions };
}

/** Answers with the request's message, unchanged (gRPC framing on both sides). */
function echo(stream: http2.ServerHttp2Stream, body: Buffer): void {
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(body);
}

async function startGrpc(options: grpc.ServerOptions = {}): Promise<{ address: string; server: grpc.Server }> {
  const server = new grpc.Server(options);
  server.addService(ScorerServiceService, {
    scoreNodes: (call: grpc.ServerUnaryCall<ScoreNodesRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => setTimeout(() => cb(null, tableScores(call.request)), 5),
    filterNodes: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: "no" } as grpc.ServiceError, null),
  } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, server };
}

const backend = (address: string): ScorerBackend => {
  const b = createH2ScorerBackend({ address });
  cleanups.push(() => b.close());
  return b;
};

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-with-a-rather-long-name-${i}`);
const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

/**
 * A TCP relay in front of `target` that passes the client's bytes through and re-delivers the
 * server's: "tiny" in writes of 1..7 bytes each on its own event-loop turn; "coalesce" everything
 * that arrives within 30 ms as one write.
 */
async function startRechunker(target: string, mode: "tiny" | "coalesce"): Promise<string> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const sockets: net.Socket[] = [];
  const server = net.createServer((c) => {
    const up = net.connect(port, host);
    c.setNoDelay(true);
    sockets.push(c, up);
    c.on("data", (b) => up.write(b));
    let queue: Buffer[] = [];
    let pumping = false;
    const pump = async () => {
      pumping = true;
      while (queue.length > 0) {
        const all = Buffer.concat(queue);
        queue = [];
        if (mode === "coalesce") {
          c.write(all);
          continue;
        }
        for (let off = 0, i = 0; off < all.length; i++) {
          const n = 1 + (i % 7);
          c.write(all.subarray(off, off + n));
          off += n;
          await new Promise((r) => setImmediate(r));
        }
      }
      pumping = false;
    };
    up.on("data", (b) => {
      queue.push(b);
      if (!pumping) {
        if (mode === "coalesce") setTimeout(() => void pump(), 30);
        else void pump();
      }
    });
    const end = () => {
      c.destroy();
      up.destroy();
    };
    c.on("close", end).on("error", end);
    up.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("flow control", () => {
  it("a request above 65,535 bytes to a grpc-js server (5,000 names out, 5,000 scores back)", async () => {
    const { address } = await startGrpc();
    const req: ScoreNodesRequest = { workload: undefined, nodeNames: names(5000), scoresOnly: false };
    const res = await backend(address).scoreNodes(req, 10_000);
    expect(res.scores.map((s) => s.nodeName)).toEqual(req.nodeNames);
  });

  it("requests far larger than a 1,000-byte peer stream window, several at once, echo back intact", async () => {
    const { address } = await startH2(echo, { settings: { initialWindowSize: 1000 } });
    const c = client(address);
    const sizes = [200_000, 70_000, 1, 0, 16_384, 100_003];
    const answers = await Promise.all(sizes.map((n, i) => c.call("/t.Echo/Echo", bytes(n, i), 10_000)));
    answers.forEach((a, i) => expect(a.equals(bytes(sizes[i]!, i))).toBe(true));
  });

  it("a server with SETTINGS_HEADER_TABLE_SIZE 0 (a smaller HPACK table for our requests) gets the table size update it requires", async () => {
    const { address } = await startH2(echo, { settings: { headerTableSize: 0 } });
    const c = client(address);
    for (let i = 0; i < 3; i++) expect((await c.call("/t.Echo/Echo", bytes(50, i), 5000)).equals(bytes(50, i))).toBe(true);
  });

  it("a peer MAX_FRAME_SIZE above the default is used for DATA frames; answers above our stream window arrive", async () => {
    const { address } = await startH2(echo, { settings: { maxFrameSize: 65_536 } });
    const c = client(address);
    const big = bytes(3 << 20, 3); // 3 MiB: above the 1 MiB stream window, so we send stream WINDOW_UPDATEs
    expect((await c.call("/t.Echo/Echo", big, 20_000)).equals(big)).toBe(true);
    expect((await c.call("/t.Echo/Echo", big, 20_000)).equals(big)).toBe(true); // connection window replenished too
  });
});

describe("GOAWAY and RST_STREAM", () => {
  it("GOAWAY: the stream at or below the last stream id finishes, the one above fails UNAVAILABLE, the next call opens a new connection", async () => {
    const held: { stream: http2.ServerHttp2Stream; body: Buffer }[] = [];
    const { address, sessions } = await startH2((stream, body) => {
      held.push({ stream, body });
      if (held.length === 2) {
        const first = held.find((h) => h.stream.id === 1)!;
        stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1, Buffer.from("restarting"));
        echo(first.stream, first.body);
      }
    });
    const c = client(address);
    const a = c.call("/t.Echo/Echo", bytes(10), 5000);
    const b = failure(c.call("/t.Echo/Echo", bytes(20), 5000));
    expect((await a).equals(bytes(10))).toBe(true);
    const err = await b;
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/GOAWAY NO_ERROR \(0\): restarting/);
    held.length = 0;
    const next = c.call("/t.Echo/Echo", bytes(30), 5000);
    await new Promise((r) => setTimeout(r, 50));
    const h = held[0]!;
    echo(h.stream, h.body);
    expect((await next).equals(bytes(30))).toBe(true);
    expect(sessions).toHaveLength(2);
  });

  it("GOAWAY while calls wait for a MAX_CONCURRENT_STREAMS slot: they were never sent, so they go out on a new connection", async () => {
    let first = true;
    const { address, sessions } = await startH2(
      (stream, body) => {
        if (first) {
          first = false;
          stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
        }
        setTimeout(() => echo(stream, body), 5);
      },
      { settings: { maxConcurrentStreams: 1 } },
    );
    const c = client(address);
    const answers = await Promise.all([0, 1, 2].map((i) => c.call("/t.Echo/Echo", bytes(10 + i, i), 5000)));
    answers.forEach((a, i) => expect(a.equals(bytes(10 + i, i))).toBe(true));
    expect(sessions.length).toBe(2);
  });

  it("RST_STREAM from the server maps to the gRPC code (REFUSED_STREAM → UNAVAILABLE, CANCEL → CANCELLED, ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, other → INTERNAL)", async () => {
    let code: number = http2.constants.NGHTTP2_REFUSED_STREAM;
    const { address } = await startH2((stream) => stream.close(code));
    const c = client(address);
    const cases: [number, number][] = [
      [http2.constants.NGHTTP2_REFUSED_STREAM, GrpcCode.UNAVAILABLE],
      [http2.constants.NGHTTP2_CANCEL, GrpcCode.CANCELLED],
      [http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, GrpcCode.RESOURCE_EXHAUSTED],
      [http2.constants.NGHTTP2_INTERNAL_ERROR, GrpcCode.INTERNAL],
    ];
    for (const [rst, grpcCode] of cases) {
      code = rst;
      const err = await failure(c.call("/t.Echo/Echo", bytes(5), 5000));
      expect(err.code).toBe(grpcCode);
      expect(err.details).toMatch(/stream reset before a status: RST_STREAM/);
    }
    code = 0;
    const ok = await startH2(echo);
    expect((await client(ok.address).call("/t.Echo/Echo", bytes(5), 5000)).equals(bytes(5))).toBe(true);
  });
});

describe("headers", () => {
  it("trailers-only errors from grpc-js: UNIMPLEMENTED for an unknown method and for a handler's status", async () => {
    const { address } = await startGrpc();
    const c = client(address);
    const unknown = await failure(c.call("/overseer.v1.ScorerService/NoSuchMethod", Buffer.alloc(0), 5000));
    expect(unknown.code).toBe(GrpcCode.UNIMPLEMENTED);
    const handler = await failure(c.call("/overseer.v1.ScorerService/FilterNodes", Buffer.alloc(0), 5000));
    expect(handler).toMatchObject({ code: GrpcCode.UNIMPLEMENTED, details: "no" });
  });

  it("nghttp2's dynamic table and Huffman, and trailers split into CONTINUATION frames, decode to what the server sent", async () => {
    let call = 0;
    const extra = (i: number) => Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`x-field-${k}`, `value ${k} ${"abcXYZ-09~".repeat(k)} ${k % 3 === 0 ? i : ""}`]));
    const { address } = await startH2((stream) => {
      call++;
      stream.respond({ ":status": 200, "content-type": "application/grpc", ...extra(call) }, { waitForTrailers: true });
      // 40 KB of grpc-message: a header block above 16 KiB, so HEADERS + CONTINUATION
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "3", "grpc-message": `${call}:${"m".repeat(40_000)}` }));
      stream.end();
    });
    const seen: HeaderList[] = [];
    const conn = await connect(address);
    for (let i = 1; i <= 5; i++) {
      const r = await rawRequest(conn, address, bytes(3));
      expect(r.end).toBe("end");
      const [headers, trailers] = r.blocks;
      seen.push(headers!);
      const got = Object.fromEntries(pairsOf(headers!));
      expect(got).toMatchObject({ ":status": "200", "content-type": "application/grpc", ...extra(i) });
      expect(Object.fromEntries(pairsOf(trailers!))).toEqual({ "grpc-status": "3", "grpc-message": `${i}:${"m".repeat(40_000)}` });
    }
    expect(conn.stats.framesByType[FrameType.CONTINUATION]).toBeGreaterThanOrEqual(5);
    conn.close();
    // and through the client: the status and the long message come out whole
    const err = await failure(client(address).call("/t.E/E", bytes(1), 5000));
    expect(err.code).toBe(GrpcCode.INVALID_ARGUMENT);
    expect(err.details).toHaveLength(40_002);
  });
});

describe("TCP chunking", () => {
  it.each(["tiny", "coalesce"] as const)("%s chunks of the server's bytes: answers intact", async (mode) => {
    const { address } = await startGrpc();
    const relay = await startRechunker(address, mode);
    const c = client(relay);
    const n = mode === "tiny" ? 50 : 5000;
    const req: ScoreNodesRequest = { workload: undefined, nodeNames: names(n), scoresOnly: false };
    const call = (r: ScoreNodesRequest) => c.call("/overseer.v1.ScorerService/ScoreNodes", ScoreNodesRequestCodec.encode(r).finish(), 20_000).then((b) => ScoreNodesResponseCodec.decode(b));
    const small = Array.from({ length: 10 }, (_, i) => call({ ...req, nodeNames: names(i + 1) }));
    const results = await Promise.all([call(req), call(req), ...small]);
    expect(results[0]!.scores.map((s) => s.nodeName)).toEqual(req.nodeNames);
    expect(results[1]).toEqual(results[0]);
    results.slice(2).forEach((r, i) => expect(r.scores).toHaveLength(i + 1));
    const stats = c.connectionStats()!;
    if (mode === "tiny") {
      expect(stats.socketChunks).toBeGreaterThan(200); // the reader really saw the bytes a few at a time
      expect(stats.splitFrames).toBeGreaterThanOrEqual(10);
    } else {
      expect(stats.maxFramesPerChunk).toBeGreaterThan(10); // and many frames in one chunk
    }
  });
});

describe("concurrency and stream ids", () => {
  it("more concurrent calls than the server's MAX_CONCURRENT_STREAMS wait their turn (node:http2: never more than 2 open)", async () => {
    let open = 0;
    let maxOpen = 0;
    const { address, server } = await startH2((stream, body) => setTimeout(() => echo(stream, body), 10), { settings: { maxConcurrentStreams: 2 } });
    server.on("stream", (stream) => {
      maxOpen = Math.max(maxOpen, ++open);
      stream.on("close", () => open--);
    });
    const c = client(address);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => c.call("/t.Echo/Echo", bytes(100 + i, i), 10_000)));
    answers.forEach((a, i) => expect(a.equals(bytes(100 + i, i))).toBe(true));
    expect(maxOpen).toBe(2);
  });

  it("more concurrent calls than a grpc-js server's max_concurrent_streams all succeed", async () => {
    const { address } = await startGrpc({ "grpc.max_concurrent_streams": 2 });
    const b = backend(address);
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => b.scoreNodes({ workload: undefined, nodeNames: names(i + 1), scoresOnly: false }, 10_000)));
    res.forEach((r, i) => expect(r.scores).toHaveLength(i + 1));
  });

  it("stream ids near 2^31: the connection retires after the last odd id and the next call opens a new one", async () => {
    const { address, sessions } = await startH2(echo);
    const c = client(address, { firstStreamId: 2 ** 31 - 3 });
    for (let i = 0; i < 5; i++) expect((await c.call("/t.Echo/Echo", bytes(8, i), 5000)).equals(bytes(8, i))).toBe(true);
    expect(sessions.length).toBe(3); // ids 2^31-3 and 2^31-1 per connection
  });

  it("a server PING is answered", async () => {
    const { address, sessions } = await startH2(echo);
    const c = client(address);
    await c.call("/t.Echo/Echo", bytes(4), 5000);
    const rtt = await new Promise<number>((resolve, reject) => sessions[0]!.ping((err, d) => (err ? reject(err) : resolve(d))));
    expect(rtt).toBeGreaterThanOrEqual(0);
  });
});

describe("servers that do not speak HTTP/2", () => {
  async function startTcp(onConn: (s: net.Socket) => void): Promise<string> {
    const socks: net.Socket[] = [];
    const server = net.createServer((s) => {
      socks.push(s);
      s.on("error", () => undefined);
      onConn(s);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => {
      for (const s of socks) s.destroy();
      server.close();
    });
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("an HTTP/1.1 answer: UNAVAILABLE naming the protocol error, then the connect back-off", async () => {
    const address = await startTcp((s) => s.once("data", () => s.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")));
    const c = client(address);
    const err = await failure(c.call("/t.Echo/Echo", bytes(4), 5000));
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/HTTP\/2 protocol error .*(not an HTTP\/2 frame|first frame is not SETTINGS)/);
    const again = await failure(c.call("/t.Echo/Echo", bytes(4), 5000));
    expect(again.details).toMatch(/next connection attempt in \d+ ms/);
  });

  it("a server that sends a valid-looking frame header of another type first: PROTOCOL_ERROR, UNAVAILABLE", async () => {
    const address = await startTcp((s) => s.write(Buffer.from([0, 0, 0, 0x6, 0, 0, 0, 0, 0]))); // empty PING header, not SETTINGS
    const err = await failure(client(address).call("/t.Echo/Echo", bytes(4), 5000));
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/first frame is not SETTINGS/);
  });

  it("a server that closes at once: UNAVAILABLE", async () => {
    const address = await startTcp((s) => s.end());
    const err = await failure(client(address).call("/t.Echo/Echo", bytes(4), 5000));
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/closed the connection before its HTTP\/2 SETTINGS/);
  });

  it("a silent server: DEADLINE_EXCEEDED, and the unanswered PING drops the connection", async () => {
    let conns = 0;
    const address = await startTcp(() => void conns++);
    const c = client(address, { pingTimeoutMs: 100 });
    expect((await failure(c.call("/t.Echo/Echo", bytes(4), 100))).code).toBe(GrpcCode.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 300));
    expect((await failure(c.call("/t.Echo/Echo", bytes(4), 100))).code).toBe(GrpcCode.DEADLINE_EXCEEDED);
    expect(conns).toBe(2);
  });
});

// ------------------------------------------------------------------ helpers for H2Connection directly

function pairsOf(flat: HeaderList): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

async function connect(address: string): Promise<H2Connection> {
  const sep = address.lastIndexOf(":");
  let conn!: H2Connection;
  await new Promise<void>((resolve, reject) => {
    conn = new H2Connection({
      host: address.slice(0, sep),
      port: Number(address.slice(sep + 1)),
      streamWindow: 1 << 20,
      connectionWindow: 4 << 20,
      onReady: resolve,
      onRetire: () => undefined,
      onClose: (err) => err && reject(err),
    });
  });
  cleanups.push(() => conn.close());
  return conn;
}

function rawRequest(conn: H2Connection, authority: string, message: Buffer): Promise<{ blocks: HeaderList[]; data: Buffer; end: string }> {
  return new Promise((resolve) => {
    const blocks: HeaderList[] = [];
    const data: Buffer[] = [];
    const sink: StreamSink = {
      onHeaders: (h) => blocks.push(h),
      onData: (c) => data.push(Buffer.from(c)),
      onEnd: () => resolve({ blocks, data: Buffer.concat(data), end: "end" }),
      onAbort: (kind, code, reason) => resolve({ blocks, data: Buffer.concat(data), end: `${kind} ${code} ${reason}` }),
    };
    const block = encodeHeaderBlock([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/t.E/E"],
      [":authority", authority],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
    ]);
    conn.request(sink, block, undefined, frameMessage(message));
  });
}
