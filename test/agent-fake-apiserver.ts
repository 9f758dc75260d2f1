// An in-process fake of the Kubernetes API server's HTTP shapes for the NodeState custom resource
// (GET/POST on the collection, PUT on /status with resourceVersion conflicts, Status bodies on
// errors). For unit and agent tests only; the real API-server test lives with the k8s e2e.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; resourceVersion: string; creationTimestamp?: string };
  spec: { nodeName: string };
  status?: Record<string, unknown>;
}

function statusBody(code: number, reason: string, message: string) {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });
}

export async function fakeApiServer() {
  const objects = new Map<string, Obj>();
  let rv = 100;
  const requests: string[] = [];
  /** Responses forced for the next matching requests: [method, code]. */
  const inject: { method: string; code: number }[] = [];
  const base = "/apis/overseer.io/v1alpha1/nodestates";
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const url = (req.url ?? "").split("?")[0]!;
      requests.push(`${req.method} ${url}`);
      const send = (code: number, obj: unknown) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(typeof obj === "string" ? obj : JSON.stringify(obj));
      };
      const forced = inject.findIndex((i) => i.method === req.method);
      if (forced >= 0) {
        const { code } = inject.splice(forced, 1)[0]!;
        return send(code, statusBody(code, code === 403 ? "Forbidden" : "InternalError", `injected ${code}`));
      }
      const m = new RegExp(`^${base}(?:/([^/]+))?(/status)?$`).exec(url);
      if (!m) return send(404, statusBody(404, "NotFound", "the server could not find the requested resource"));
      const name = m[1];
      if (req.method === "GET" && name) {
        const o = objects.get(name);
        return o ? send(200, o) : send(404, statusBody(404, "NotFound", `nodestates.overseer.io "${name}" not found`));
      }
      if (req.method === "POST" && !name) {
        const o = JSON.parse(body) as Obj;
        if (objects.has(o.metadata.name)) return send(409, statusBody(409, "AlreadyExists", "already exists"));
        const created: Obj = { ...o, metadata: { name: o.metadata.name, resourceVersion: String(++rv), creationTimestamp: new Date().toISOString() } };
        delete created.status; // the status subresource ignores status on create
        objects.set(o.metadata.name, created);
        return send(201, created);
      }
      if (req.method === "PUT" && name && m[2]) {
        const cur = objects.get(name);
        if (!cur) return send(404, statusBody(404, "NotFound", "not found"));
        const o = JSON.parse(body) as Obj;
        if (o.metadata.resourceVersion !== cur.metadata.resourceVersion) {
          return send(409, statusBody(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again"));
        }
        const next: Obj = { ...cur, status: o.status, metadata: { ...cur.metadata, resourceVersion: String(++rv) } };
        objects.set(name, next);
        return send(200, next);
      }
      send(405, statusBody(405, "MethodNotAllowed", "method not allowed"));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    objects,
    requests,
    inject,
    bump(name: string, patch: Partial<Obj>) {
      const cur = objects.get(name)!;
      objects.set(name, { ...cur, ...patch, metadata: { ...cur.metadata, resourceVersion: String(++rv) } });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}


/** A kubeconfig file's text pointing at the fake server (no auth). */
export function kubeconfigYaml(port: number): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: fake",
    "  cluster:",
    `    server: http://127.0.0.1:${port}`,
    "    insecure-skip-tls-verify: true",
    "users:",
    "- name: agent",
    "  user: {}",
    "contexts:",
    "- name: fake",
    "  context:",
    "    cluster: fake",
    "    user: agent",
    "current-context: fake",
    "",
  ].join("\n");
}
