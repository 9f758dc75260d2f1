// The container args in deploy/ are real flags of the commands they start, with valid values:
// a typo there would only show once the pods crash-loop in a cluster. No API server needed.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAllYaml } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { AGENT_FLAGS, checkAgentConfig } from "../../lib/agent/config.js";
import { parseFlags, type FlagSpecs } from "../../lib/config/flags.js";
import { EXTENDER_FLAGS, toExtenderConfig } from "../../lib/extender/config.js";
import { REGIME_FLAGS } from "../../lib/regime/config.js";
import { SCORER_FLAGS } from "../../lib/scorer/config.js";
import { repoRoot } from "./cluster.js";

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string }[];
}

const CHECKS: Record<string, (args: string[]) => void> = {
  "dist/cmd/agent/main.js": (a) => void checkAgentConfig(parseFlags(a, {}, AGENT_FLAGS)),
  "dist/cmd/regime-svc/main.js": (a) => void parseFlags(a, {}, REGIME_FLAGS as FlagSpecs),
  "dist/cmd/scorer-svc/main.js": (a) => void parseFlags(a, {}, SCORER_FLAGS as FlagSpecs),
  "dist/cmd/extender/main.js": (a) => void toExtenderConfig(parseFlags(a, {}, EXTENDER_FLAGS)),
};

function containers(): { file: string; kind: string; name: string; c: Container }[] {
  const dir = join(repoRoot(), "deploy");
  const out: { file: string; kind: string; name: string; c: Container }[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    for (const doc of loadAllYaml(readFileSync(join(dir, file), "utf8")) as { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: Container[] } } } }[]) {
      for (const c of doc?.spec?.template?.spec?.containers ?? []) out.push({ file, kind: doc.kind ?? "", name: doc.metadata?.name ?? "", c });
    }
  }
  return out;
}

/** Kubernetes expands $(VAR) from the container's env; stand in a plausible value. */
function expand(arg: string, c: Container): string {
  return arg.replace(/\$\(([A-Z_]+)\)/g, (m, v: string) => {
    if (!c.env?.some((e) => e.name === v)) throw new Error(`${arg}: $(${v}) is not in the container's env`);
    return v === "NODE_NAME" ? "node-1" : "value-1";
  });
}

describe("deploy/ container args", () => {
  const all = containers();

  it("finds the OverSeer workloads", () => {
    const commands = new Set(all.map((x) => x.c.command?.[1]));
    for (const cmd of Object.keys(CHECKS)) expect(commands).toContain(cmd);
  });

  for (const { file, kind, name, c } of all) {
    it(`${file} ${kind}/${name} container ${c.name}: args parse with the command's own flag rules`, () => {
      const check = CHECKS[c.command?.[1] ?? ""];
      expect(check, `unknown command ${JSON.stringify(c.command)}`).toBeDefined();
      expect(() => check!((c.args ?? []).map((a) => expand(a, c)))).not.toThrow();
    });
  }

  it("a misspelt flag is caught by the same check (the check is not vacuous)", () => {
    expect(() => CHECKS["dist/cmd/agent/main.js"]!(["--sourc=perf"])).toThrow(/sourc/);
  });
});
