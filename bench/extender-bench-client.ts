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

const HEADER_END = "\r\n\r\n";

/**
 * One keep-alive connection, one request at a time (kube-scheduler does not pipeline). Answers are
 * read into one buffer reused for every read (net's `onread`), so the load generator does not
 * allocate per answer: its own garbage collections would otherwise show up in every row's tail
 * (kube-scheduler is a Go program; this client stands in for it and should cost as little).
 */
export class KeepAliveConnection {
  /** The answer's head so far (latin1), until its blank line has been seen. */
  private head = "";
  /** Body bytes still to come; -1 while the head is incomplete. */
  private remaining = -1;
  private pending: { resolve: (ms: number) => void; reject: (e: Error) => void; t0: number } | undefined;
  private keepBody = false;
  private bodyParts: Buffer[] = [];
  private body: Buffer | undefined;
  private readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  static open(port: number): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      let conn: KeepAliveConnection | undefined;
      const readBuffer = Buffer.allocUnsafe(256 * 1024);
      const s = net.connect({
        port,
        host: "127.0.0.1",
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array) => {
            conn?.onData(buf as Buffer, n);
            return true;
          },
        },
      });
      s.once("connect", () => {
        s.off("error", reject);
        conn = new KeepAliveConnection(s);
        resolve(conn);
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

  /** `buf[0, n)` was just read (the shared read buffer: used before returning, never kept). */
  private onData(buf: Buffer, n: number): void {
    let at = 0;
    if (this.remaining < 0) {
      this.head += buf.toString("latin1", 0, n);
      const end = this.head.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.head.slice(0, end);
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
      // Bytes of this read after the head (the head text is latin1: one char per byte).
      at = n - (this.head.length - end - HEADER_END.length);
      this.head = "";
      this.remaining = Number(length[1]);
    }
    const take = Math.min(this.remaining, n - at);
    if (this.keepBody) this.bodyParts.push(Buffer.from(buf.subarray(at, at + take)));
    this.remaining -= take;
    const extra = n - at - take;
    if (this.remaining > 0) return;
    const p = this.pending;
    this.pending = undefined;
    this.remaining = -1;
    if (this.keepBody) {
      this.body = Buffer.concat(this.bodyParts);
      this.bodyParts = [];
    }
    if (extra !== 0) p?.reject(new Error(`${extra} bytes after the answer`));
    else p?.resolve(performance.now() - p.t0);
  }
}
