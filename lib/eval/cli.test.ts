import { readdir } from "node:fs/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "./cli.js";
import { tempDir } from "./testing/fixtures.js";

describe("cmd/eval CLI", () => {
  afterEach(() => vi.restoreAllMocks());
  const silence = () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => (out.push(String(s)), true));
    return out;
  };

  it("bench without OverSeer runs the pure policies and writes a report", async () => {
    const dir = await tempDir("cli");
    const out = silence();
    const code = await runCli(["bench", "--nodes", "4", "--pods", "6", "--policies", "default,threshold,oracle", "--reports-dir", dir, "--quiet"]);
    expect(code).toBe(0);
    expect(out.join("")).toMatch(/oracle .* 100\.0 %/);
    expect((await readdir(dir)).filter((f) => f.endsWith(".html"))).toHaveLength(1);
  });

  const bad: [string, string[], RegExp][] = [
    ["unknown command", ["nope"], /unknown command "nope"/],
    ["no command", [], /usage:/],
    ["non-integer flag", ["bench", "--nodes", "x"], /--nodes.*not an integer/],
    ["unknown policy", ["bench", "--policies", "default,magic"], /unknown policy "magic"/],
    ["duplicate policy", ["bench", "--policies", "default,default"], /listed twice/],
    ["unknown flag", ["accuracy", "--bogus", "1"], /unknown flag --bogus/],
    ["retrain without registry", ["retrain"], /--registry-dir is required/],
    ["bad stack mode", ["bench", "--stack", "docker"], /--stack/],
  ];
  for (const [name, argv, re] of bad) {
    it(`exits 2 on ${name}`, async () => {
      const out = silence();
      expect(await runCli(argv)).toBe(2);
      expect(out.join("")).toMatch(re);
    });
  }

  it("--help lists the flags and exits 0", async () => {
    const out = silence();
    expect(await runCli(["bench", "--help"])).toBe(0);
    expect(out.join("")).toMatch(/--nodes/);
    expect(out.join("")).toMatch(/--bundle-dir/);
  });
});
