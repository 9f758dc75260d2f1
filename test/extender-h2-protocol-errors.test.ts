// The extender's HTTP/2 client (lib/extender/h2-connection.ts under H2UnaryClient) against a TCP
// server that writes HTTP/2 frames byte by byte as scripted: for what real servers do not send —
// protocol violations (each must end in GOAWAY to the server with the right error code and a clear
// UNAVAILABLE for the call, no crash, no hang) — and for frame forms they rarely send (padding,
// priority fields, informational headers, unknown frame types). Plus node:http2's own padding.
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { frameMessage, GrpcCallFailure, GrpcCode } from "../lib/extender/grpc-wire.js";
import { encodeFrame, encodeSettings, ErrorCode, errorCodeName, Flag, FrameType } from "../lib/extender/h2-frames.js";
import { encodeHeaderBlock } from "../lib/extender/hpack.js";
import { H2UnaryClient } from "../lib/extender/h2-unary-client.js";
import { rejection } from "./rejection.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/**
 * A TCP server that reads the client preface and frames, answers with its SETTINGS (+ ACKs of the
 * client's), and calls `onRequest` once a request stream has ended (END_STREAM seen).
 */
async function startFrameServer(onRequest: (streamId: number, send: (b: Buffer) => void) => void): Promise<{ address: string; received: Frame[]; closed: Promise<void> }> {
  const received: Frame[] = [];
  let markClosed = () => {};
  const closed = new Promise<void>((r) => (markClosed = r));
  const socks: net.Socket[] = [];
  const server = net.createServer((sock) => {
    socks.push(sock);
    sock.on("error", () => undefined);
    sock.on("close", () => markClosed());
    let buf = Buffer.alloc(0);
    let prefaceDone = false;
    sock.write(encodeSettings([]));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!prefaceDone) {
        if (buf.length < 24) return;
        buf = buf.subarray(24);
        prefaceDone = true;
      }
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const f: Frame = { type: buf[3]!, flags: buf[4]!, streamId: buf.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(buf.subarray(9, 9 + len)) };
        buf = buf.subarray(9 + len);
        received.push(f);
        if (f.type === FrameType.SETTINGS && !(f.flags & Flag.ACK)) sock.write(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
        if ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.flags & Flag.END_STREAM) onRequest(f.streamId, (b) => sock.write(b));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    for (const s of socks) s.destroy();
    server.close();
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, received, closed };
}

const client = (address: string) => {
  const c = new H2UnaryClient({ address });
  cleanups.push(() => c.close());
  return c;
};

const failure = (p: Promise<unknown>) => rejection(p, GrpcCallFailure);

const okHeaders = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", "application/grpc"],
]);
const okTrailers = encodeHeaderBlock([["grpc-status", "0"]]);
const headers = (id: number, block: Buffer, flags = Flag.END_HEADERS) => encodeFrame(FrameType.HEADERS, flags, id, block);
const data = (id: number, payload: Buffer, flags = 0) => encodeFrame(FrameType.DATA, flags, id, payload);
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};

describe("protocol errors: GOAWAY with the error code, the call UNAVAILABLE with the reason", () => {
  it.each([
    ["DATA on stream 0", () => data(0, Buffer.from("x")), ErrorCode.PROTOCOL_ERROR, /DATA on stream 0/],
    ["a frame above our MAX_FRAME_SIZE", () => data(1, Buffer.alloc(20_000)), ErrorCode.FRAME_SIZE_ERROR, /above our MAX_FRAME_SIZE/],
    ["a header block that is not HPACK", (id: number) => headers(id, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])), ErrorCode.COMPRESSION_ERROR, /bad header block: integer overflow/],
    ["CONTINUATION without HEADERS", (id: number) => encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, id, okTrailers), ErrorCode.PROTOCOL_ERROR, /CONTINUATION without a HEADERS/],
    ["another frame inside a header block", (id: number) => Buffer.concat([headers(id, okHeaders, 0), data(id, Buffer.from("x"))]), ErrorCode.PROTOCOL_ERROR, /CONTINUATION expected/],
    ["PUSH_PROMISE although push is off", (id: number) => encodeFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, id, Buffer.concat([u32(2), okHeaders])), ErrorCode.PROTOCOL_ERROR, /PUSH_PROMISE/],
    ["a connection WINDOW_UPDATE of 0", () => encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(0)), ErrorCode.PROTOCOL_ERROR, /WINDOW_UPDATE of 0/],
    ["a connection window above 2^31-1", () => encodeFrame(FrameType.WINDOW_UPDATE, 0, 0, u32(0x7fffffff)), ErrorCode.FLOW_CONTROL_ERROR, /above 2\^31-1/],
    ["a PING of 3 octets", () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(3)), ErrorCode.FRAME_SIZE_ERROR, /PING of 3 octets/],
    ["SETTINGS of 5 octets", () => encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5)), ErrorCode.FRAME_SIZE_ERROR, /not a multiple of 6/],
    ["SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1", () => encodeSettings([[4, 0x80000000]]), ErrorCode.FLOW_CONTROL_ERROR, /INITIAL_WINDOW_SIZE 2147483648 above/],
    ["SETTINGS_MAX_FRAME_SIZE below 16,384", () => encodeSettings([[5, 100]]), ErrorCode.PROTOCOL_ERROR, /MAX_FRAME_SIZE 100 out of range/],
    ["padding longer than the DATA frame", (id: number) => Buffer.concat([headers(id, okHeaders), data(id, Buffer.from([9, 1, 2]), Flag.PADDED)]), ErrorCode.PROTOCOL_ERROR, /padding 9 not smaller/],
    ["HEADERS on a stream never opened", () => headers(9, okHeaders), ErrorCode.PROTOCOL_ERROR, /stream 9, which we never opened/],
  ])("%s", async (_name, frames, code, reason) => {
    const server = await startFrameServer((id, send) => send(frames(id)));
    const err = await failure(client(server.address).call("/t.E/E", Buffer.from("hi"), 5000));
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/HTTP\/2 protocol error/);
    expect(err.details).toContain(errorCodeName(code));
    expect(err.details).toMatch(reason);
    await server.closed; // the client closed the connection
    const goaway = server.received.find((f) => f.type === FrameType.GOAWAY);
    expect(goaway, "GOAWAY sent").toBeDefined();
    expect(goaway!.payload.readUInt32BE(4)).toBe(code);
  });
});

describe("random bytes after a valid SETTINGS", () => {
  it("every call settles with a GrpcCallFailure (no crash, no hang), 40 seeds", async () => {
    let seed = 99;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const socks: net.Socket[] = [];
    const server = net.createServer((sock) => {
      socks.push(sock);
      sock.on("error", () => undefined);
      const garbage = Buffer.from(Array.from({ length: 1 + (rnd() % 300) }, () => rnd() & 0xff));
      sock.end(Buffer.concat([encodeSettings([]), garbage])); // then FIN: a cut frame cannot wait forever
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => {
      for (const s of socks) s.destroy();
      server.close();
    });
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const codes = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const c = new H2UnaryClient({ address, initialBackoffMs: 1 });
      const err = await failure(c.call("/t.E/E", Buffer.from("hi"), 5000));
      codes.add(err.code);
      c.close();
    }
    expect([...codes].every((code) => code !== GrpcCode.OK && code !== GrpcCode.DEADLINE_EXCEEDED)).toBe(true);
  });
});

describe("GOAWAY with an error code", () => {
  it("fails the calls on the connection at once (even at or below the last stream id) and the next call opens a new connection", async () => {
    let lastStream = 0;
    const server = await startFrameServer((id, send) => {
      lastStream = id;
      // the first request (stream 1 of the first connection) gets the error GOAWAY, later ones an answer
      if (server.received.filter((f) => f.type === FrameType.HEADERS).length === 1) {
        send(encodeFrame(FrameType.GOAWAY, 0, 0, Buffer.concat([u32(1), u32(ErrorCode.ENHANCE_YOUR_CALM), Buffer.from("too many requests")])));
        return; // and the socket stays open
      }
      send(Buffer.concat([headers(id, okHeaders), data(id, frameMessage(Buffer.from("ok"))), headers(id, okTrailers, Flag.END_HEADERS | Flag.END_STREAM)]));
    });
    const c = client(server.address);
    const err = await failure(c.call("/t.E/E", Buffer.from("hi"), 5000));
    expect(err.code).toBe(GrpcCode.UNAVAILABLE);
    expect(err.details).toMatch(/GOAWAY ENHANCE_YOUR_CALM \(11\): too many requests/);
    expect((await c.call("/t.E/E", Buffer.from("hi"), 5000)).toString()).toBe("ok");
    expect(lastStream).toBe(1); // the answer came on stream 1: a second connection
  });
});

describe("frame forms real servers rarely send", () => {
  it("padded HEADERS with priority fields, padded DATA, an informational 100 block, an unknown frame type, PRIORITY: the answer comes through", async () => {
    const msg = frameMessage(Buffer.from("hello there"));
    const server = await startFrameServer((id, send) => {
      const pad = 4;
      const padded = (block: Buffer) => Buffer.concat([Buffer.from([pad]), Buffer.from([0, 0, 0, 0, 16]), block, Buffer.alloc(pad)]);
      send(headers(id, encodeHeaderBlock([[":status", "100"]])));
      send(encodeFrame(0xfa, 0, 0, Buffer.from("ignored"))); // unknown type
      send(encodeFrame(FrameType.PRIORITY, 0, id, Buffer.from([0, 0, 0, 0, 7])));
      send(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, id, padded(okHeaders)));
      send(data(id, Buffer.concat([Buffer.from([3]), msg.subarray(0, 6), Buffer.alloc(3)]), Flag.PADDED));
      send(data(id, msg.subarray(6)));
      // trailers as HEADERS + CONTINUATION
      send(encodeFrame(FrameType.HEADERS, Flag.END_STREAM, id, okTrailers.subarray(0, 1)));
      send(encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, id, okTrailers.subarray(1)));
    });
    const answer = await client(server.address).call("/t.E/E", Buffer.from("hi"), 5000);
    expect(answer.toString()).toBe("hello there");
  });

  it("a stream WINDOW_UPDATE of 0 resets that stream with PROTOCOL_ERROR (INTERNAL for the call); the connection lives on", async () => {
    let n = 0;
    const server = await startFrameServer((id, send) => {
      if (++n === 1) {
        send(Buffer.concat([headers(id, okHeaders), encodeFrame(FrameType.WINDOW_UPDATE, 0, id, u32(0))]));
        return;
      }
      send(Buffer.concat([headers(id, okHeaders), data(id, frameMessage(Buffer.from("ok"))), headers(id, okTrailers, Flag.END_HEADERS | Flag.END_STREAM)]));
    });
    const c = client(server.address);
    const err = await failure(c.call("/t.E/E", Buffer.from("hi"), 5000));
    expect(err.code).toBe(GrpcCode.INTERNAL);
    expect(err.details).toMatch(/WINDOW_UPDATE of 0 on the stream \(we reset the stream\)/);
    expect((await c.call("/t.E/E", Buffer.from("hi"), 5000)).toString()).toBe("ok");
    const rst = server.received.find((f) => f.type === FrameType.RST_STREAM);
    expect(rst?.payload.readUInt32BE(0)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(server.received.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  });

  it("node:http2 with maximum padding on every frame", async () => {
    const server = http2.createServer({ paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
    server.on("stream", (stream) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => server.close());
    const c = client(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    const body = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i & 0xff));
    expect((await c.call("/t.E/E", body, 5000)).equals(body)).toBe(true);
  });
});
