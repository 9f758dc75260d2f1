// Test helpers: a private copy of a bundle to mutate (the shipped models/default/ when present,
// else the synthetic test bundle), and edits that make a new version or a corrupt one.
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeTestBundle, type TestBundleOptions } from "./make-test-bundle.js";

export const DEFAULT_BUNDLE_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../../models/default");

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** A temp dir holding a bundle: a copy of models/default/ if it exists (and `synthetic` is not forced), else the test bundle. */
export async function makeBundleDir(opts: { synthetic?: boolean } & TestBundleOptions = {}): Promise<{ root: string; dir: string; source: "default" | "synthetic" }> {
  const root = await mkdtemp(path.join(tmpdir(), "overseer-bundle-"));
  const dir = path.join(root, "bundle");
  if (!opts.synthetic && (await exists(path.join(DEFAULT_BUNDLE_DIR, "manifest.json")))) {
    await cp(DEFAULT_BUNDLE_DIR, dir, { recursive: true });
    return { root, dir, source: "default" };
  }
  await writeTestBundle(dir, opts);
  return { root, dir, source: "synthetic" };
}

/** Rewrites manifest.json with a new version (checksums stay valid): a "new" bundle. */
export async function setBundleVersion(dir: string, version: string): Promise<void> {
  const f = path.join(dir, "manifest.json");
  const m = JSON.parse(await readFile(f, "utf8"));
  m.version = version;
  await writeFile(f, JSON.stringify(m, null, 2));
}

/** Flips a byte in interference.onnx: the checksum no longer matches. */
export async function corruptBundle(dir: string, file = "interference.onnx"): Promise<void> {
  const f = path.join(dir, file);
  const b = await readFile(f);
  b[Math.floor(b.length / 2)] ^= 0xff;
  await writeFile(f, b);
}

export async function manifestVersion(dir: string): Promise<string> {
  return JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")).version;
}

export const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
