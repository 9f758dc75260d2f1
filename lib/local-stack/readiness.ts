// Waiting for a started process to be usable: an HTTP URL answering 200 (gRPC: grpc-readiness.ts).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs: number;
  /** Checked between attempts: stop waiting when the process is gone. */
  alive?: () => boolean;
  what: string;
}

export async function waitUntil(check: () => Promise<boolean>, o: WaitOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let last = "";
  for (;;) {
    if (o.alive && !o.alive()) throw new Error(`${o.what}: the process exited while starting`);
    try {
      if (await check()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${o.what}: not ready after ${o.timeoutMs} ms${last ? ` (last error: ${last})` : ""}`);
    await sleep(200);
  }
}

export function waitForHttpOk(url: string, o: WaitOptions): Promise<void> {
  return waitUntil(async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.ok;
  }, o);
}
