import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstTraceWithService } from "./trace-pick.js";

// A stand-in for Jaeger's query API (GET /api/traces/<id>) on loopback.
const TRACES: Record<string, string[]> = {
  aaaa: ["overseer-local", "extender", "scorer-svc"],
  bbbb: ["overseer-local", "extender", "scorer-svc", "regime-svc"],
  cccc: ["extender", "scorer-svc", "regime-svc"],
};
let server: http.Server;
let url: string;
const asked: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const id = req.url!.replace("/api/traces/", "");
    asked.push(id);
    if (id === "broken") return void res.writeHead(200, { "content-type": "application/json" }).end("{not json");
    const services = TRACES[id];
    if (!services) return void res.writeHead(404).end();
    const processes = Object.fromEntries(services.map((s, i) => [`p${i}`, { serviceName: s }]));
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [{ traceID: id, spans: [], processes }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("firstTraceWithService", () => {
  it("returns the first trace, in the given order, that includes the service", async () => {
    expect(await firstTraceWithService(url, ["aaaa", "bbbb", "cccc"], "regime-svc")).toBe("bbbb");
  });

  it("skips traces Jaeger does not have (404) or answers with garbage", async () => {
    expect(await firstTraceWithService(url, ["missing", "broken", "cccc"], "regime-svc")).toBe("cccc");
  });

  it("none includes it: undefined", async () => {
    expect(await firstTraceWithService(url, ["aaaa", "missing"], "regime-svc")).toBeUndefined();
  });

  it("looks at no more than maxTraces traces", async () => {
    asked.length = 0;
    expect(await firstTraceWithService(url, ["aaaa", "aaaa", "bbbb"], "regime-svc", { maxTraces: 2 })).toBeUndefined();
    expect(asked).toEqual(["aaaa", "aaaa"]);
  });

  it("an unreachable Jaeger: undefined, no throw", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await firstTraceWithService(`http://127.0.0.1:${port}`, ["bbbb"], "regime-svc", { timeoutMs: 500 })).toBeUndefined();
  });
});
