// Test helpers for the eval harness: small corpora from the simulator and bundles that claim to
// be trained on chosen catalog workloads (synthetic test models, not trained).
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SoloProfile } from "../../../gen/overseer/v1/scorer_service.js";
import { writeTestBundle, type TestBundleOptions } from "../../bundle/testing/make-test-bundle.js";
import { loadWorkloadCatalog } from "../../sim/catalog.js";
import { parseCorpusArgs, type CorpusConfig } from "../../sim/corpus-config.js";
import { writeCorpus } from "../../sim/corpus-writer.js";
import { SPR_8480_2S } from "../../sim/node-spec.js";
import { soloProfile } from "../../sim/profile.js";

export const tempDir = (prefix: string) => mkdtemp(path.join(tmpdir(), `overseer-eval-${prefix}-`));

/** Writes a corpus with the simulator; `args` are the corpus CLI's flags. */
export function writeSmallCorpus(dir: string, args: string[]): void {
  const cfg = parseCorpusArgs(["--out", dir, ...args]) as CorpusConfig;
  writeCorpus(cfg, loadWorkloadCatalog());
}

/** A test bundle whose manifest lists catalog profiles for `trainedClasses` (it claims to be trained on them). */
export async function writeBundleTrainedOn(dir: string, trainedClasses: readonly string[], opts: TestBundleOptions = {}): Promise<void> {
  await writeTestBundle(dir, opts);
  const f = path.join(dir, "manifest.json");
  const m = JSON.parse(await readFile(f, "utf8"));
  const catalog = loadWorkloadCatalog();
  for (const cls of trainedClasses) {
    const w = catalog.byClass.get(cls)!;
    const json = SoloProfile.toJSON(soloProfile(SPR_8480_2S, w)) as Record<string, number>;
    const snake: Record<string, number> = {};
    for (const [k, v] of Object.entries(json)) snake[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
    m.workload_profiles[cls] = { isCnf: w.kind === "cnf", profile: snake };
  }
  await writeFile(f, JSON.stringify(m, null, 2));
}
