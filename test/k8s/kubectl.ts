// Runs the real kubectl (build.sh makes sure one exists) against the e2e control plane.
import { execFile } from "node:child_process";
import { binary } from "./cluster.js";

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectl(kubeconfig: string, args: string[], timeoutMs = 60_000, cwd?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(binary("kubectl"), ["--kubeconfig", kubeconfig, ...args], { timeout: timeoutMs, cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === "number" ? Number((err as { code?: unknown }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** kubectl that must succeed; the error carries stderr. */
export async function kubectlOk(kubeconfig: string, args: string[], timeoutMs?: number, cwd?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, timeoutMs, cwd);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}
