import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { ScorerServiceClient, ScorerServiceService, type ScoreNodesRequest, type ScoreNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { createRegimeClassifier } from "../scorer/regime-client.js";
import { createScorerClient } from "../scorer/client.js";
import { checkReceiveWindows, widenReceiveWindows } from "./receive-windows.js";
import { startGrpcServer, type RunningGrpcServer } from "./server.js";

const scoreNodes = (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, done: grpc.sendUnaryData<ScoreNodesResponse>) =>
  done(null, { scores: [], modelVersion: `${call.request.nodeNames.length}`, packedScores: Buffer.alloc(call.request.nodeNames.length) });

async function start(receiveWindows?: { streamBytes: number; connectionBytes: number }): Promise<RunningGrpcServer> {
  const srv = await startGrpcServer({
    address: "127.0.0.1:0",
    services: [{ name: "overseer.v1.ScorerService", definition: ScorerServiceService as unknown as grpc.ServiceDefinition, implementation: { scoreNodes } }],
    receiveWindows,
  });
  srv.setServing("overseer.v1.ScorerService", true);
  return srv;
}

/** What a plain HTTP/2 client learns of the server's windows: the stream window from SETTINGS, the connection window from WINDOW_UPDATE. */
async function windowsSeenBy(port: number): Promise<{ stream: number; connection: number }> {
  const c = http2.connect(`http://127.0.0.1:${port}`);
  try {
    await once(c, "remoteSettings");
    // The server's SETTINGS may come in two frames (its defaults, then ours) and the window update after them.
    for (let i = 0; i < 100 && ((c.state.remoteWindowSize ?? 0) <= 65_535 || (c.remoteSettings.initialWindowSize ?? 65_535) === 65_535); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    return { stream: c.remoteSettings.initialWindowSize ?? 65_535, connection: c.state.remoteWindowSize ?? 0 };
  } finally {
    c.close();
  }
}

describe("HTTP/2 receive windows of our gRPC servers", () => {
  let srv: RunningGrpcServer | undefined;
  afterEach(async () => {
    await srv?.shutdown(100);
    srv = undefined;
  });

  it("open 1 MiB per stream and per connection by default (grpc-js would leave 64 KiB)", async () => {
    srv = await start();
    expect(srv.receiveWindowsWidened).toBe(true);
    const w = await windowsSeenBy(srv.port);
    expect(w.stream).toBe(1 << 20);
    // The connection window the client may send into (less whatever it already sent, nothing here).
    expect(w.connection).toBe(1 << 20);
  });

  it("take the sizes the caller gives", async () => {
    srv = await start({ streamBytes: 256 << 10, connectionBytes: 4 << 20 });
    const w = await windowsSeenBy(srv.port);
    expect(w).toEqual({ stream: 256 << 10, connection: 4 << 20 });
  });

  it("carry a request far larger than 64 KiB to a grpc-js client's answer", async () => {
    srv = await start();
    const client = new ScorerServiceClient(`127.0.0.1:${srv.port}`, grpc.credentials.createInsecure());
    try {
      const nodeNames = Array.from({ length: 20_000 }, (_, i) => `ip-10-0-${i >> 8}-${i & 255}.compute.internal`);
      const res = await new Promise<ScoreNodesResponse>((resolve, reject) =>
        client.scoreNodes({ workload: undefined, nodeNames, scoresOnly: true }, (e, r) => (e ? reject(e) : resolve(r))),
      );
      expect(res.modelVersion).toBe("20000");
      expect(res.packedScores.length).toBe(20_000);
    } finally {
      client.close();
    }
  });

  it("refuse sizes HTTP/2 does not allow, before any server starts", async () => {
    expect(() => checkReceiveWindows({ streamBytes: 65_534, connectionBytes: 1 << 20 })).toThrow(/streamBytes must be an integer in 65535\.\./);
    expect(() => checkReceiveWindows({ streamBytes: 1 << 20, connectionBytes: 2 ** 31 })).toThrow(/connectionBytes/);
    expect(() => checkReceiveWindows({ streamBytes: 1.5e6 + 0.5, connectionBytes: 1 << 20 })).toThrow(/streamBytes/);
    await expect(start({ streamBytes: 1000, connectionBytes: 1 << 20 })).rejects.toThrow(/streamBytes/);
  });

  it("report false, leaving the defaults, when grpc-js's HTTP/2 servers are not where this version keeps them", () => {
    expect(widenReceiveWindows({} as grpc.Server)).toBe(false);
    expect(widenReceiveWindows({ http2Servers: new Map() } as unknown as grpc.Server)).toBe(false);
  });
});

/** A plain HTTP/2 server that answers every call UNIMPLEMENTED and reports the windows the client opened. */
async function windowsOfClient(connect: (address: string) => { call: () => Promise<unknown>; close: () => void }): Promise<{ stream: number; connection: number }> {
  const server = http2.createServer();
  const seen = new Promise<{ stream: number; connection: number }>((resolve) =>
    server.on("session", (session) => {
      session.once("remoteSettings", async () => {
        for (let i = 0; i < 100 && (session.state.remoteWindowSize ?? 0) <= 65_535; i++) await new Promise((r) => setTimeout(r, 10));
        resolve({ stream: session.remoteSettings.initialWindowSize ?? 65_535, connection: session.state.remoteWindowSize ?? 0 });
      });
    }),
  );
  server.on("stream", (stream) => stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12" }, { endStream: true }));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  const client = connect(`127.0.0.1:${port}`);
  try {
    await client.call().catch(() => undefined);
    return await seen;
  } finally {
    client.close();
    server.close();
  }
}

describe("receive windows of our grpc-js clients", () => {
  it("scorer-svc's regime-svc client opens 1 MiB for its answers (grpc-js would leave 64 KiB)", async () => {
    const w = await windowsOfClient((a) => {
      const c = createRegimeClassifier(a, 2000);
      return { call: () => c.classify([]), close: () => c.close() };
    });
    expect(w).toEqual({ stream: 1 << 20, connection: 1 << 20 });
  });

  it("the scorer client helper opens 1 MiB too (full answers for thousands of nodes)", async () => {
    const w = await windowsOfClient((a) => {
      const c = createScorerClient(a);
      return { call: () => c.scoreNodes({ workload: undefined, nodeNames: ["n"], scoresOnly: false }), close: () => c.close() };
    });
    expect(w).toEqual({ stream: 1 << 20, connection: 1 << 20 });
  });
});

