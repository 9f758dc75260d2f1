// The breaking-change guard really guards: a copy of proto/ with an incompatible edit fails
// `buf breaking` against the real proto/, and an additive edit passes.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const BUF = path.join(ROOT, "node_modules/.bin/buf");
let dirs: string[] = [];

function copyProto(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "overseer-proto-"));
  dirs.push(dir);
  cpSync(path.join(ROOT, "proto"), path.join(dir, "proto"), { recursive: true });
  writeFileSync(path.join(dir, "buf.yaml"), readFileSync(path.join(ROOT, "buf.yaml")));
  return dir;
}

function edit(dir: string, file: string, from: string, to: string) {
  const p = path.join(dir, "proto/overseer/v1", file);
  const text = readFileSync(p, "utf8");
  expect(text).toContain(from);
  writeFileSync(p, text.replace(from, to));
}

function breaking(dir: string) {
  return spawnSync(BUF, ["breaking", dir, "--against", ROOT], { cwd: ROOT, encoding: "utf8" });
}

afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe("buf breaking", () => {
  it("the unchanged contracts pass against themselves", () => {
    execFileSync(BUF, ["lint", ROOT], { cwd: ROOT });
    expect(breaking(copyProto()).status).toBe(0);
  });
  it("changing a field's type fails", () => {
    const dir = copyProto();
    edit(dir, "node_state.proto", "uint64 sequence = 3;", "string sequence = 3;");
    const r = breaking(dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/sequence/);
  });
  it("renumbering a feature state fails", () => {
    const dir = copyProto();
    edit(dir, "features.proto", "FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED = 2;", "FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED = 20;");
    expect(breaking(dir).status).not.toBe(0);
  });
  it("removing an RPC fails", () => {
    const dir = copyProto();
    edit(dir, "regime_service.proto", "rpc GetModelInfo(GetModelInfoRequest) returns (GetModelInfoResponse);", "");
    expect(breaking(dir).status).not.toBe(0);
  });
  it("adding a field is allowed", () => {
    const dir = copyProto();
    edit(dir, "node_state.proto", "google.protobuf.Timestamp agent_started_at = 10;", "google.protobuf.Timestamp agent_started_at = 10;\n  string kernel_release = 99;");
    expect(breaking(dir).status).toBe(0);
  });
});
