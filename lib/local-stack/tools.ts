// Finds the external tools (prometheus, promtool, jaeger, grpcurl): PATH first, then .tools/bin
// (where scripts/install-tools.sh puts what it builds).
import { accessSync, constants } from "node:fs";
import path from "node:path";

export const TOOLS_HINT = "install with scripts/install-tools.sh (prometheus from Debian; jaeger and grpcurl built into .tools/bin)";

export function findTool(name: string, repoRoot: string, envPath = process.env.PATH ?? ""): string | undefined {
  const dirs = [...envPath.split(path.delimiter).filter(Boolean), path.join(repoRoot, ".tools", "bin")];
  for (const d of dirs) {
    const p = path.join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
