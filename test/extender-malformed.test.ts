// Requests kube-scheduler would never send, and some it might: each answered 4xx with a message,
// and the server keeps serving afterwards.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue, namesRequest, post, startFakeScorer, startTestExtender, type FakeScorer, type TestExtender } from "./extender-fixtures.js";

const LIMIT = 4096;
let scorer: FakeScorer;
let ext: TestExtender;

beforeAll(async () => {
  scorer = await startFakeScorer();
  ext = await startTestExtender(scorer.address, ["--max-body-bytes", String(LIMIT)]);
});
afterAll(async () => {
  await ext.close();
  scorer.kill();
});

/** Raw request with full control of method, headers and body framing. */
function raw(opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean }) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const url = new URL(opts.path, ext.server.url);
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined && !opts.chunked) headers["content-length"] = Buffer.byteLength(opts.body);
    const req = http.request(url, { method: opts.method ?? "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const json = { "content-type": "application/json" };

describe("HTTP-level limits", () => {
  it("GET on a verb is 405 with Allow: POST", async () => {
    const r = await raw({ method: "GET", path: "/overseer/filter" });
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("POST");
    expect(JSON.parse(r.text).Error).toMatch(/method not allowed/);
  });

  it.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["no content type", {}],
    ["form", { "content-type": "application/x-www-form-urlencoded" }],
  ])("content type %s is 415", async (_n, headers) => {
    const r = await raw({ path: "/overseer/prioritize", headers, body: JSON.stringify(namesRequest(["a"])) });
    expect(r.status).toBe(415);
    expect(JSON.parse(r.text).Error).toMatch(/application\/json/);
  });

  it("application/json with a charset parameter is accepted", async () => {
    const r = await raw({ path: "/overseer/prioritize", headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(namesRequest(["a"])) });
    expect(r.status).toBe(200);
  });

  it("a body over the limit (declared length) is 413, and the connection is closed instead of drained", async () => {
    const r = await raw({ path: "/overseer/prioritize", headers: json, body: "x".repeat(LIMIT + 1) });
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe("close");
    expect(JSON.parse(r.text).Error).toMatch(`exceeds ${LIMIT} bytes`);
  });

  it("a chunked body growing over the limit is 413", async () => {
    const big = JSON.stringify(namesRequest(Array.from({ length: 2000 }, (_, i) => `node-${i}`)));
    expect(big.length).toBeGreaterThan(LIMIT);
    const r = await raw({ path: "/overseer/prioritize", headers: json, body: big, chunked: true });
    expect(r.status).toBe(413);
  });

  it("unknown path is 404", async () => {
    const r = await raw({ path: "/overseer/bind", headers: json, body: "{}" });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text).Error).toMatch(/no route \/overseer\/bind/);
  });
});

describe("malformed bodies are 400 with a message", () => {
  const cases: [string, string, RegExp][] = [
    ["truncated JSON", JSON.stringify(namesRequest(["node-a", "node-b"])).slice(0, 120), /malformed JSON/],
    ["empty body", "", /empty request body/],
    ["JSON null", "null", /got null/],
    ["JSON array", "[]", /got an array/],
    ["a number", "42", /got a number/],
    ["Pod is a list", JSON.stringify({ Pod: [], NodeNames: ["a"] }), /Pod must be a Pod object/],
    ["NodeNames is an object", JSON.stringify({ Pod: { metadata: { name: "p" } }, NodeNames: { a: 1 } }), /NodeNames must be an array/],
    ["NodeNames holds numbers", JSON.stringify({ Pod: { metadata: { name: "p" } }, NodeNames: [1, 2] }), /NodeNames\[0\] must be a node name string/],
    ["Nodes.items holds strings", JSON.stringify({ Pod: { metadata: { name: "p" } }, Nodes: { items: ["a"] } }), /Nodes.items\[0\] must be a Node object/],
    ["empty NodeNames", JSON.stringify({ Pod: { metadata: { name: "p" } }, Nodes: null, NodeNames: [] }), /NodeNames is empty/],
    ["empty Nodes.items", JSON.stringify({ Pod: { metadata: { name: "p" } }, Nodes: { metadata: {}, items: [] }, NodeNames: null }), /Nodes.items is empty/],
    ["both lists null", JSON.stringify({ Pod: { metadata: { name: "p" } }, Nodes: null, NodeNames: null }), /no candidates/],
    ["camelCase field names (not what Go sends)", JSON.stringify({ pod: { metadata: { name: "p" } }, nodenames: ["a"] }), /Pod must be a Pod object/],
    ["annotation value is a number", JSON.stringify({ Pod: { metadata: { name: "p", annotations: { "overseer.io/max-slowdown": 1.2 } } }, NodeNames: ["a"] }), /must be a string/],
    ["invalid UTF-8 / binary", "\u0000\u0001\u0002", /malformed JSON/],
  ];
  it.each(cases)("%s (filter and prioritize)", async (_n, body, pattern) => {
    for (const verb of ["filter", "prioritize"]) {
      const r = await raw({ path: `/overseer/${verb}`, headers: json, body });
      expect(r.status).toBe(400);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(r.text).Error).toMatch(pattern);
    }
  });

  it("refused requests are counted by verb and code, and never reach scorer-svc", async () => {
    expect(await metricValue(ext.registry, "overseer_extender_bad_requests_total", { verb: "filter", code: "400" })).toBeGreaterThanOrEqual(cases.length);
    expect(scorer.scoreCalls.length + scorer.filterCalls.length).toBeLessThanOrEqual(1); // only the charset request above
  });

  it("the server still answers a good request after all of the above", async () => {
    const r = await post(`${ext.base}/prioritize`, namesRequest(["node-a"]));
    expect(r.status).toBe(200);
    expect(r.json).toEqual([{ Host: "node-a", Score: 9 }]);
  });
});
