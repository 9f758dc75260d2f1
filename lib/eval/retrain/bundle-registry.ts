// The served bundle and its history. Layout under `root`:
//   bundles/<version>--<stamp>/   every bundle ever served (kept)
//   staging/<stamp>/              a challenger being trained (moved into bundles/ when promoted)
//   current -> bundles/<...>      the served bundle: services run with --bundle-dir <root>/current
//   history.jsonl                 one line per promotion or refusal
// Promotion is atomic: a new symlink is created beside `current` and renamed over it; services
// poll the directory and hot-reload (lib/bundle/bundle-holder.ts resolves the link).
import { randomBytes } from "node:crypto";
import { appendFile, cp, lstat, mkdir, readFile, readlink, realpath, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";

export class RegistryError extends Error {}

export interface HistoryEntry {
  at: string;
  event: "initial" | "promoted" | "kept-champion";
  servedBundle: string;
  version: string;
  challengerVersion?: string | null;
  reason: string;
  reportId?: string;
}

const stamp = () => `${new Date().toISOString().replace(/[-:.]/g, "")}-${randomBytes(2).toString("hex")}`;
const safe = (v: string) => v.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);

export async function readManifestVersion(dir: string): Promise<string> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { version?: unknown };
    if (typeof m.version !== "string" || m.version === "") throw new Error(`"version" missing`);
    return m.version;
  } catch (e) {
    throw new RegistryError(`${dir}: not a model bundle: ${(e as Error).message}`);
  }
}

export class BundleRegistry {
  readonly currentLink: string;
  readonly historyFile: string;

  constructor(readonly root: string) {
    this.currentLink = path.join(root, "current");
    this.historyFile = path.join(root, "history.jsonl");
  }

  /** Creates the layout; when nothing is served yet, copies `initialBundle` in and serves it. */
  async init(initialBundle?: string): Promise<void> {
    await mkdir(path.join(this.root, "bundles"), { recursive: true });
    await mkdir(path.join(this.root, "staging"), { recursive: true });
    const exists = await lstat(this.currentLink).then(() => true, () => false);
    if (exists) return;
    if (!initialBundle) throw new RegistryError(`${this.root} serves no bundle yet and no initial bundle was given`);
    const version = await readManifestVersion(initialBundle);
    const dest = path.join(this.root, "bundles", `${safe(version)}--${stamp()}`);
    await cp(initialBundle, dest, { recursive: true });
    await this.pointCurrentAt(dest);
    await this.record({ at: new Date().toISOString(), event: "initial", servedBundle: dest, version, reason: `initial bundle from ${initialBundle}` });
  }

  /** Resolved directory of the served bundle. */
  async championDir(): Promise<string> {
    try {
      return await realpath(this.currentLink);
    } catch (e) {
      throw new RegistryError(`${this.currentLink}: no served bundle: ${(e as Error).message}`);
    }
  }

  /** A fresh, empty directory path for a challenger (not created: the trainer creates it). */
  async newStagingDir(): Promise<string> {
    await mkdir(path.join(this.root, "staging"), { recursive: true });
    return path.join(this.root, "staging", stamp());
  }

  async discard(stagingDir: string): Promise<void> {
    if (path.dirname(stagingDir) !== path.join(this.root, "staging")) throw new RegistryError(`${stagingDir} is not a staging directory of ${this.root}`);
    await rm(stagingDir, { recursive: true, force: true });
  }

  /** Moves a staged challenger into bundles/ and serves it (atomic link swap). Returns its new path. */
  async promote(stagingDir: string): Promise<string> {
    const version = await readManifestVersion(stagingDir);
    const dest = path.join(this.root, "bundles", `${safe(version)}--${stamp()}`);
    await rename(stagingDir, dest);
    await this.pointCurrentAt(dest);
    return dest;
  }

  private async pointCurrentAt(dir: string): Promise<void> {
    const tmp = path.join(this.root, `.current.${randomBytes(4).toString("hex")}.tmp`);
    await symlink(path.relative(this.root, dir), tmp, "dir");
    try {
      await rename(tmp, this.currentLink);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async currentTarget(): Promise<string> {
    return readlink(this.currentLink);
  }

  async record(e: HistoryEntry): Promise<void> {
    await appendFile(this.historyFile, JSON.stringify(e) + "\n");
  }

  async history(): Promise<HistoryEntry[]> {
    const text = await readFile(this.historyFile, "utf8").catch(() => "");
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as HistoryEntry);
  }
}
