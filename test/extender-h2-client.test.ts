// The extender's lean HTTP/2 gRPC client (lib/extender/h2-unary-client.ts behind
// createH2ScorerBackend) against real servers on 127.0.0.1: a grpc-js server implementing
// ScorerService (answers compared with the grpc-js client's, statuses, deadline and cancellation,
// connection loss, reconnect, trace propagation) and a bare node:http2 server for wire cases a
// grpc-js server never produces (compressed flag, non-200 HTTP, a message split over many frames).
import * as grpc from "@grpc/grpc-js";
import { context, propagation, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ScorerServiceService,
  type FilterNodesRequest,
  type FilterNodesResponse,
  type ScoreNodesRequest,
  type ScoreNodesResponse,
} from "../gen/overseer/v1/scorer_service.js";
import { frameMessage, GrpcCallFailure } from "../lib/extender/grpc-wire.js";
import { createH2ScorerBackend } from "../lib/extender/h2-scorer-backend.js";
import { H2UnaryClient } from "../lib/extender/h2-unary-client.js";
import { encodeNamesRequest } from "../lib/scorer/score-nodes-codec.js";
import { BackendCallError, createGrpcScorerBackend, isBackendDown, type ScorerBackend } from "../lib/extender/scorer-backend.js";
import { ScoreNodesResponse as ScoreNodesResponseCodec } from "../gen/overseer/v1/scorer_service.js";
import { tableFilter, tableScores } from "./extender-fixtures.js";
import { rejection } from "./rejection.js";

type Behaviour = "ok" | "hang" | "invalid-argument" | "huge" | "big";

interface ScriptedServer {
  address: string;
  port: number;
  behaviour: Behaviour;
  /** Metadata of the last call, as the handler saw it. */
  lastMetadata: grpc.Metadata | undefined;
  /** Resolves when a call's cancellation reaches the handler. */
  cancelled: Promise<void>;
  kill(): void;
  /** Graceful: GOAWAY to the clients, then close. */
  shutdown(): Promise<void>;
}

/** A real grpc-js server with ScorerService answered by `behaviour`. */
async function startScriptedServer(port = 0): Promise<ScriptedServer> {
  const server = new grpc.Server();
  let markCancelled = () => {};
  const s: ScriptedServer = {
    address: "",
    port: 0,
    behaviour: "ok",
    lastMetadata: undefined,
    cancelled: new Promise<void>((r) => (markCancelled = r)),
    kill: () => server.forceShutdown(),
    shutdown: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
  const answer =
    <Req, Res>(produce: (r: Req) => Res): grpc.handleUnaryCall<Req, Res> =>
    (call, callback) => {
      s.lastMetadata = call.metadata;
      call.on("cancelled", () => markCancelled());
      switch (s.behaviour) {
        case "ok":
          return callback(null, produce(call.request));
        case "hang":
          return;
        case "invalid-argument":
          return callback({ code: grpc.status.INVALID_ARGUMENT, details: "bad workload: 100% over 50 µs\nline 2" } as grpc.ServiceError, null);
        case "big": {
          const names = Array.from({ length: 5000 }, (_, i) => `node-with-a-rather-long-name-${i}`);
          return callback(null, produce({ ...(call.request as object), nodeNames: names } as Req));
        }
        case "huge": // 17 MiB of model version: above the client's 16 MiB limit
          return callback(null, { ...produce(call.request), modelVersion: "v".repeat(17 << 20) });
      }
    };
  server.addService(ScorerServiceService, {
    scoreNodes: answer<ScoreNodesRequest, ScoreNodesResponse>(tableScores),
    filterNodes: answer<FilterNodesRequest, FilterNodesResponse>(tableFilter),
  } as unknown as grpc.UntypedServiceImplementation);
  s.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  s.address = `127.0.0.1:${s.port}`;
  return s;
}

/** A bare node:http2 server whose answer to every request is written by `respond`. */
async function startRawServer(respond: (stream: http2.ServerHttp2Stream) => void): Promise<{ address: string; close(): void }> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("data", () => undefined);
    stream.on("end", () => respond(stream));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/**
 * A TCP relay in front of `target`. `blackhole()` makes every open connection silently stop
 * passing bytes (no FIN, no RST: a peer that vanished); new connections are relayed normally.
 */
async function startRelay(target: number): Promise<{ address: string; connections: () => number; blackhole(): void; close(): void }> {
  const open = new Set<{ silence(): void }>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target, "127.0.0.1");
    let silent = false;
    client.on("data", (b) => !silent && upstream.write(b));
    upstream.on("data", (b) => !silent && client.write(b));
    const conn = { silence: () => (silent = true) };
    open.add(conn);
    const end = () => {
      open.delete(conn);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => accepted,
    blackhole: () => {
      for (const c of open) c.silence();
    },
    close: () => server.close(),
  };
}

const REQ: ScoreNodesRequest = { workload: undefined, nodeNames: ["node-a", "node-b", "node-c"], scoresOnly: false };

const failure = (p: Promise<unknown>) => rejection(p, BackendCallError);

const freePort = async () => {
  const s = await startScriptedServer();
  s.kill();
  return s.port;
};

const backends: ScorerBackend[] = [];
const h2 = (address: string) => {
  const b = createH2ScorerBackend({ address });
  backends.push(b);
  return b;
};
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

describe("h2 client against a grpc-js ScorerService", () => {
  let server: ScriptedServer;
  beforeAll(async () => {
    server = await startScriptedServer();
  });
  afterAll(() => server.kill());

  it("ScoreNodes and FilterNodes answer exactly what the grpc-js client gets", async () => {
    server.behaviour = "ok";
    const viaGrpcJs = createGrpcScorerBackend({ address: server.address });
    try {
      const b = h2(server.address);
      const filterReq: FilterNodesRequest = { workload: undefined, nodeNames: ["node-a", "node-b"] };
      expect(await b.scoreNodes(REQ, 2000)).toEqual(await viaGrpcJs.scoreNodes(REQ, 2000));
      expect(await b.filterNodes(filterReq, 2000)).toEqual(await viaGrpcJs.filterNodes(filterReq, 2000));
      expect((await b.filterNodes(filterReq, 2000)).filtered.map((f) => f.nodeName)).toEqual(["node-b"]);
      // 5,000 scores: a message over many DATA frames (16 KiB each by default)
      server.behaviour = "big";
      const big = await b.scoreNodes(REQ, 5000);
      expect(big.scores).toHaveLength(5000);
      expect(big).toEqual(await viaGrpcJs.scoreNodes(REQ, 5000));
    } finally {
      viaGrpcJs.close();
    }
  });

  it("callFramed sends a message already behind its gRPC prefix as call() does; a wrong prefix never leaves the client", async () => {
    server.behaviour = "ok";
    const client = new H2UnaryClient({ address: server.address });
    try {
      const path = "/overseer.v1.ScorerService/ScoreNodes";
      const message = encodeNamesRequest(REQ);
      const viaCall = await client.call(path, message, 2000);
      expect(await client.callFramed(path, encodeNamesRequest(REQ, true), 2000)).toEqual(viaCall);
      for (const bad of [Buffer.alloc(3), Buffer.concat([Buffer.from([1, 0, 0, 0, message.length]), message]), frameMessage(message).subarray(0, 20)]) {
        const err = await rejection(client.callFramed(path, bad, 2000), GrpcCallFailure);
        expect(err.code).toBe(grpc.status.INTERNAL);
        expect(err.message).toMatch(/not one uncompressed gRPC message/);
      }
    } finally {
      client.close();
    }
  });

  it("a non-OK status carries its code and the percent-decoded message (trailers-only answer)", async () => {
    server.behaviour = "invalid-argument";
    const err = await failure(h2(server.address).scoreNodes(REQ, 2000));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.message).toBe("scorer-svc: INVALID_ARGUMENT: bad workload: 100% over 50 µs\nline 2");
    expect(isBackendDown(err)).toBe(false);
  });

  it("deadline: DEADLINE_EXCEEDED on time, and the server sees the call cancelled", async () => {
    server.behaviour = "hang";
    const err = await failure(h2(server.address).scoreNodes(REQ, 150));
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await server.cancelled; // the handler's call got 'cancelled' (RST_STREAM from the client, or grpc-timeout)
    expect(isBackendDown(err)).toBe(true);
  });

  it("an answer above 16 MiB is RESOURCE_EXHAUSTED; the next call on the same session works", async () => {
    server.behaviour = "huge";
    const b = h2(server.address);
    const err = await failure(b.scoreNodes(REQ, 10_000));
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.message).toMatch(/exceeds the maximum of 16777216 bytes/);
    server.behaviour = "ok";
    expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
  });

  it("the caller's trace reaches the server in traceparent, under a CLIENT span named like grpc-js instrumentation's", async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      server.behaviour = "ok";
      const b = h2(server.address);
      const parent = trace.getTracer("test").startSpan("caller");
      await context.with(trace.setSpan(context.active(), parent), () => b.scoreNodes(REQ, 2000));
      parent.end();
      const tp = String(server.lastMetadata?.get("traceparent")[0]);
      const client = exporter.getFinishedSpans().find((s) => s.name === "grpc.overseer.v1.ScorerService/ScoreNodes")!;
      expect(client.kind).toBe(SpanKind.CLIENT);
      expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(tp).toBe(`00-${parent.spanContext().traceId}-${client.spanContext().spanId}-01`);
      expect(client.attributes).toMatchObject({ "rpc.system": "grpc", "rpc.service": "overseer.v1.ScorerService", "rpc.method": "ScoreNodes", "rpc.grpc.status_code": 0 });
      expect(client.status.code).toBe(SpanStatusCode.UNSET);

      exporter.reset();
      server.behaviour = "invalid-argument";
      await failure(b.filterNodes({ workload: undefined, nodeNames: ["x"] }, 2000));
      const failed = exporter.getFinishedSpans()[0]!;
      expect(failed.name).toBe("grpc.overseer.v1.ScorerService/FilterNodes");
      expect(failed.attributes["rpc.grpc.status_code"]).toBe(grpc.status.INVALID_ARGUMENT);
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    } finally {
      trace.disable();
      context.disable();
      propagation.disable();
    }
    // SDK off (no-op tracer): no traceparent is sent
    server.behaviour = "ok";
    await h2(server.address).scoreNodes(REQ, 2000);
    expect(server.lastMetadata?.get("traceparent")).toEqual([]);
  });
});

describe("h2 client: connection loss", () => {
  it("nothing listening: UNAVAILABLE at once, and fast-failing UNAVAILABLE during the back-off", async () => {
    const b = h2(`127.0.0.1:${await freePort()}`);
    const t0 = Date.now();
    const err = await failure(b.scoreNodes(REQ, 5000));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(Date.now() - t0).toBeLessThan(4000); // not the deadline
    const again = await failure(b.scoreNodes(REQ, 5000));
    expect(again.code).toBe(grpc.status.UNAVAILABLE);
    expect(again.message).toMatch(/next connection attempt in \d+ ms/);
    expect(isBackendDown(again)).toBe(true);
  });

  it("server killed mid-call: UNAVAILABLE; restarted on the same port: the next call reconnects", async () => {
    const first = await startScriptedServer();
    first.behaviour = "hang";
    const b = h2(first.address);
    const pending = failure(b.scoreNodes(REQ, 5000));
    await new Promise((r) => setTimeout(r, 100));
    const killedAt = Date.now();
    first.kill();
    const err = await pending;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(Date.now() - killedAt).toBeLessThan(4000); // at the loss, not at the 5 s deadline
    const second = await startScriptedServer(first.port);
    try {
      await new Promise((r) => setTimeout(r, 250)); // past any connect back-off
      expect((await b.scoreNodes(REQ, 2000)).scores.map((s) => s.nodeName)).toEqual(REQ.nodeNames);
    } finally {
      second.kill();
    }
  });

  it("graceful server restart (GOAWAY): the next call opens a new session and succeeds", async () => {
    const first = await startScriptedServer();
    const b = h2(first.address);
    expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
    await first.shutdown();
    const second = await startScriptedServer(first.port);
    try {
      expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
    } finally {
      second.kill();
    }
  });
});

describe("h2 client: a connection that goes silent", () => {
  it("after a missed deadline an unanswered PING drops the session: the next call reconnects instead of timing out", async () => {
    const server = await startScriptedServer();
    const relay = await startRelay(server.port);
    try {
      const b = createH2ScorerBackend({ address: relay.address, pingTimeoutMs: 200 });
      backends.push(b);
      expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
      expect(relay.connections()).toBe(1);
      relay.blackhole();
      expect((await failure(b.scoreNodes(REQ, 200))).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await new Promise((r) => setTimeout(r, 400)); // past the PING timeout
      expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
      expect(relay.connections()).toBe(2);
    } finally {
      relay.close();
      server.kill();
    }
  });

  it("a slow handler on a live connection keeps the session (the PING is answered)", async () => {
    const server = await startScriptedServer();
    const relay = await startRelay(server.port);
    try {
      const b = createH2ScorerBackend({ address: relay.address, pingTimeoutMs: 200 });
      backends.push(b);
      server.behaviour = "hang";
      expect((await failure(b.scoreNodes(REQ, 100))).code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await new Promise((r) => setTimeout(r, 400));
      server.behaviour = "ok";
      expect((await b.scoreNodes(REQ, 2000)).scores).toHaveLength(3);
      expect(relay.connections()).toBe(1);
    } finally {
      relay.close();
      server.kill();
    }
  });
});

describe("h2 client: wire cases from a bare HTTP/2 server", () => {
  const grpcHeaders = { ":status": 200, "content-type": "application/grpc" };
  const okMessage = Buffer.from(ScoreNodesResponseCodec.encode(tableScores(REQ)).finish());

  it("a message split into 1-byte DATA frames, status in separate trailers", async () => {
    const raw = await startRawServer((stream) => {
      stream.respond(grpcHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const framed = frameMessage(okMessage);
      for (let i = 0; i < framed.length; i++) stream.write(framed.subarray(i, i + 1));
      stream.end();
    });
    try {
      expect(await h2(raw.address).scoreNodes(REQ, 2000)).toEqual(tableScores(REQ));
    } finally {
      raw.close();
    }
  });

  it("a non-OK status in trailers after headers (not trailers-only) with a percent-encoded message", async () => {
    const raw = await startRawServer((stream) => {
      stream.respond(grpcHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "9", "grpc-message": "model%20not%20loaded%3A%20%E2%9C%97" }));
      stream.end();
    });
    try {
      const err = await failure(h2(raw.address).scoreNodes(REQ, 2000));
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(err.message).toBe("scorer-svc: FAILED_PRECONDITION: model not loaded: ✗");
    } finally {
      raw.close();
    }
  });

  it("a compressed message (flag 1) is refused with INTERNAL and a clear message", async () => {
    const raw = await startRawServer((stream) => {
      stream.respond({ ...grpcHeaders, "grpc-encoding": "gzip" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const framed = frameMessage(okMessage);
      framed[0] = 1;
      stream.end(framed);
    });
    try {
      const err = await failure(h2(raw.address).scoreNodes(REQ, 2000));
      expect(err.code).toBe(grpc.status.INTERNAL);
      expect(err.message).toMatch(/compressed response message/);
    } finally {
      raw.close();
    }
  });

  it("HTTP 503 without grpc-status is UNAVAILABLE; HTTP 500 is UNKNOWN; 200 text/html is UNKNOWN", async () => {
    let answer: { status: number; type: string } = { status: 503, type: "text/plain" };
    const raw = await startRawServer((stream) => {
      stream.respond({ ":status": answer.status, "content-type": answer.type });
      stream.end("proxy says no");
    });
    try {
      const b = h2(raw.address);
      expect((await failure(b.scoreNodes(REQ, 2000))).code).toBe(grpc.status.UNAVAILABLE);
      answer = { status: 500, type: "text/plain" };
      const e500 = await failure(b.scoreNodes(REQ, 2000));
      expect(e500.code).toBe(grpc.status.UNKNOWN);
      expect(e500.message).toMatch(/HTTP status 500/);
      answer = { status: 200, type: "text/html" };
      expect((await failure(b.scoreNodes(REQ, 2000))).message).toMatch(/content-type text\/html, not application\/grpc/);
    } finally {
      raw.close();
    }
  });

  it("status OK without a message, and a response that does not parse, are errors", async () => {
    let body = Buffer.alloc(0);
    const raw = await startRawServer((stream) => {
      stream.respond(grpcHeaders, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(body);
    });
    try {
      const b = h2(raw.address);
      expect((await failure(b.scoreNodes(REQ, 2000))).code).toBe(grpc.status.UNIMPLEMENTED);
      body = frameMessage(Buffer.from([0x0a, 0x7f, 0x01])); // field 1, length 127, 1 byte: truncated
      const bad = await failure(b.scoreNodes(REQ, 2000));
      expect(bad.code).toBe(grpc.status.INTERNAL);
      expect(bad.message).toMatch(/does not parse/);
    } finally {
      raw.close();
    }
  });

  it("at the deadline the stream is reset with RST_STREAM CANCEL", async () => {
    let resetCode: number | undefined;
    const closed = new Promise<void>((resolve) => {
      const server = http2.createServer();
      server.on("stream", (stream) => {
        stream.on("data", () => undefined);
        stream.on("close", () => {
          resetCode = stream.rstCode;
          server.close();
          resolve();
        });
      });
      server.listen(0, "127.0.0.1", () => {
        const b = h2(`127.0.0.1:${(server.address() as AddressInfo).port}`);
        void failure(b.scoreNodes(REQ, 100)).then((e) => expect(e.code).toBe(grpc.status.DEADLINE_EXCEEDED));
      });
    });
    await closed;
    expect(resetCode).toBe(http2.constants.NGHTTP2_CANCEL);
  });

  it("sends the gRPC request headers and one length-prefixed message", async () => {
    let seen: http2.IncomingHttpHeaders | undefined;
    let bytes = Buffer.alloc(0);
    const server = http2.createServer();
    server.on("stream", (stream, headers) => {
      seen = headers;
      stream.on("data", (c: Buffer) => (bytes = Buffer.concat([bytes, c])));
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "nope" }, { endStream: true });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const client = new H2UnaryClient({ address: `127.0.0.1:${(server.address() as AddressInfo).port}` });
      const err = await client.call("/a.B/C", Buffer.from("hello"), 1500).catch((e: unknown) => e);
      client.close();
      expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, details: "nope" });
      expect(seen).toMatchObject({ ":method": "POST", ":path": "/a.B/C", ":scheme": "http", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "1500m" });
      expect(String(seen!["user-agent"])).toMatch(/^overseer-extender-h2\//);
      expect([...bytes]).toEqual([0, 0, 0, 0, 5, ...Buffer.from("hello")]);
    } finally {
      server.close();
    }
  });
});
