// Load of bench/extender-prioritize.ts, kept light so that the measured processes get the CPU:
//  - a keep-alive HTTP/1.1 client on a raw socket that sends one pre-encoded request (the
//    headers Go's net/http sends, then the body) and reads the answer by Content-Length;
//  - the node-state churn: an IngestNodeStates stream that gives every node a new state
//    (higher sequence, slightly different features) `hz` times per second, as the agents do.
import net from "node:net";
import { performance } from "node:perf_hooks";

/** The request bytes kube-scheduler's Go client writes for one prioritize call. */
export function encodeHttpPost(port: number, path: string, body: string): Buffer {
  const bytes = Buffer.from(body, "utf8");
  const head =
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: Go-http-client/1.1\r\n` +
    `Content-Length: ${bytes.length}\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), bytes]);
}

const HEADER_END = Buffer.from("\r\n\r\n");

/** One keep-alive connection, one request at a time (kube-scheduler does not pipeline). */
export class KeepAliveConnection {
  private chunks: Buffer[] = [];
  private size = 0;
  private need = -1;
  private pending: { resolve: (ms: number) => void; reject: (e: Error) => void; t0: number } | undefined;
  private keepBody = false;
  private body: Buffer | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (c: Buffer) => this.onData(c));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  static open(port: number): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.off("error", reject);
        resolve(new KeepAliveConnection(s));
      });
      s.once("error", reject);
    });
  }

  /** Sends the pre-encoded request; resolves with the latency in ms of a 200 answer with a body. */
  post(request: Buffer): Promise<number> {
    if (this.pending) return Promise.reject(new Error("a request is already in flight on this connection"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, t0: performance.now() };
      this.socket.write(request);
    });
  }

  /** Sends the request once and resolves with the answer's body (to check what a row answers). */
  async postForBody(request: Buffer): Promise<Buffer> {
    this.keepBody = true;
    try {
      await this.post(request);
      return this.body!;
    } finally {
      this.keepBody = false;
      this.body = undefined;
    }
  }

  close(): void {
    this.pending = undefined;
    this.socket.destroy();
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private onData(c: Buffer): void {
    this.chunks.push(c);
    this.size += c.length;
    if (this.need < 0) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      this.chunks = [all];
      const end = all.indexOf(HEADER_END);
      if (end < 0) return;
      const head = all.toString("latin1", 0, end);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!status || !length) {
        this.fail(new Error(`unexpected answer head: ${JSON.stringify(head.slice(0, 200))}`));
        this.socket.destroy();
        return;
      }
      if (status[1] !== "200" || length[1] === "0") {
        this.fail(new Error(`HTTP ${status[1]} (content-length ${length[1]})`));
        this.socket.destroy();
        return;
      }
      this.need = end + HEADER_END.length + Number(length[1]);
    }
    if (this.size < this.need) return;
    const extra = this.size - this.need;
    if (this.keepBody) {
      const all = Buffer.concat(this.chunks, this.size);
      this.body = all.subarray(all.indexOf(HEADER_END) + HEADER_END.length, this.need);
    }
    const p = this.pending;
    this.pending = undefined;
    this.chunks = [];
    this.size = 0;
    this.need = -1;
    if (extra !== 0) p?.reject(new Error(`${extra} bytes after the answer`));
    else p?.resolve(performance.now() - p.t0);
  }
}
