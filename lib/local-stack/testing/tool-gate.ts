// Tests that claim a real tool find it on PATH or in .tools/bin. Missing: the test is skipped with
// the reason, except under CI (process.env.CI set), where the caller must fail instead.
import { findTool, TOOLS_HINT } from "../tools.js";

export interface ToolGate {
  paths: Record<string, string>;
  /** Why the tools are not usable, or undefined when all were found. */
  missing?: string;
  /** True when the missing tools must fail the run (CI). */
  mustFail: boolean;
}

export function toolGate(names: readonly string[], root: string, env: NodeJS.ProcessEnv = process.env): ToolGate {
  const paths: Record<string, string> = {};
  const absent: string[] = [];
  for (const n of names) {
    const p = findTool(n, root, env.PATH ?? "");
    if (p) paths[n] = p;
    else absent.push(n);
  }
  const missing = absent.length > 0 ? `${absent.join(", ")} not found on PATH or in .tools/bin (${TOOLS_HINT})` : undefined;
  return { paths, missing, mustFail: missing !== undefined && Boolean(env.CI) };
}
