// The CLI as users run it: the built entry point, exit codes and messages.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const MAIN = join(process.cwd(), "dist/cmd/corpus/main.js");
const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8" });

describe.skipIf(!existsSync(MAIN))("corpus CLI (built: npx tsc -p .)", () => {
  it("--help lists the flags and exits 0", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    for (const f of ["--out", "--seed", "--nodes", "--intervals", "--interval-sec", "--variants", "--mix"]) expect(r.stdout).toContain(f);
  });

  it.each([
    [["--nodes", "3"], /--out is required/],
    [["--out", "/tmp/x", "--variants", "spr-z"], /unknown variant/],
    [["--out", "/tmp/x", "--mix", "nope=1"], /unknown workload class "nope"/],
    [["--out", "/tmp/x", "--catalog", "/nonexistent/w.json"], /cannot read workload catalog/],
  ])("bad options %j exit 2 with a message", (args, msg) => {
    const r = run(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
  });

  it("writes a corpus", () => {
    const dir = mkdtempSync(join(tmpdir(), "corpus-cli-"));
    const r = run(["--out", dir, "--seed", "2", "--nodes", "2", "--intervals", "3"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")).rows.node_states).toBe(6);
  });
});
