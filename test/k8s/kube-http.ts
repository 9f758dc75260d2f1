// Minimal HTTPS client for the test API server: one request per call, bearer token, the API
// server's own CA. Used by the e2e harness to talk to the cluster as different identities
// (admin, scheduler, an agent of node X) without a kubeconfig per call.
import https from "node:https";

export interface KubeResponse {
  status: number;
  body: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface KubeHttpTarget {
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM bundle that verifies the API server's serving certificate. */
  ca: string | Buffer;
}

export async function kubeRequest(
  target: KubeHttpTarget,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  timeoutMs = 10_000,
): Promise<KubeResponse> {
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise<KubeResponse>((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: target.ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(payload !== undefined ? { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like kubeRequest, but a status outside 2xx throws with the API server's message. */
export async function kubeOk(target: KubeHttpTarget, token: string, method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
  const r = await kubeRequest(target, token, method, path, body, contentType);
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${method} ${path} -> ${r.status}: ${r.json?.message ?? r.body.slice(0, 300)}`);
  }
  return r.json;
}
