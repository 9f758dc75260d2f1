// Free loopback ports for the processes the runner starts (asked from the kernel, then released).
import net from "node:net";

export function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
  return preferred ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

/** Distinct free ports (a port handed out once is not handed out again by this process). */
const given = new Set<number>();
export async function freePorts(n: number, preferred: (number | undefined)[] = []): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let p = await freePort(preferred[i]);
    for (let tries = 0; given.has(p) && tries < 20; tries++) p = await freePort();
    given.add(p);
    out.push(p);
  }
  return out;
}
