import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ChildExitedError, Supervisor } from "./supervisor.js";

const node = (name: string, code: string) => ({ name, command: process.execPath, args: ["-e", code] });
const dir = () => mkdtempSync(path.join(os.tmpdir(), "sup-test-"));
/** Waits until the child has printed "up" (its signal handler is installed by then). */
async function waitUp(logPath: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(logPath, "utf8").includes("up")) return;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("child never printed up");
}

describe("Supervisor", () => {
  it("logs to <name>.log and stops children with SIGTERM", async () => {
    const sup = new Supervisor(dir());
    const c = sup.start(node("polite", "process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);"));
    await waitUp(c.logPath);
    const ended = await sup.stopAll(5000);
    expect(ended).toEqual([{ name: "polite", pid: c.pid, how: 0, killed: false }]);
    expect(readFileSync(c.logPath, "utf8")).toBe("up\nbye\n");
  });

  it("SIGKILLs a child that ignores SIGTERM after the grace period", async () => {
    const sup = new Supervisor(dir());
    const c = sup.start(node("stubborn", "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);"));
    await waitUp(c.logPath);
    const [e] = await sup.stopAll(300);
    expect(e).toMatchObject({ name: "stubborn", how: "SIGKILL", killed: true });
  });

  it("reports an unexpected exit with the log tail", async () => {
    const sup = new Supervisor(dir());
    const seen = new Promise<ChildExitedError>((r) => sup.onUnexpectedExit(r));
    sup.start(node("crasher", "console.error('cannot load bundle'); process.exit(3);"));
    const e = await seen;
    expect(e.child).toBe("crasher");
    expect(e.how).toBe(3);
    expect(e.message).toContain("cannot load bundle");
    await sup.stopAll(100);
  });

  it("a command that does not exist is reported, not thrown", async () => {
    const sup = new Supervisor(dir());
    const c = sup.start({ name: "ghost", command: "/nonexistent/binary", args: [] });
    expect(String(await c.exited)).toMatch(/spawn error/);
  });
});
