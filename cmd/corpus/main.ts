// Corpus CLI: writes a synthetic labelled corpus (docs/corpus.md) from the contention simulator.
import { ConfigError, formatHelp } from "../../lib/config/flags.js";
import { CatalogError, loadWorkloadCatalog } from "../../lib/sim/catalog.js";
import { CORPUS_FLAGS, parseCorpusArgs } from "../../lib/sim/corpus-config.js";
import { writeCorpus } from "../../lib/sim/corpus-writer.js";

const PROGRAM = "corpus";
const SUMMARY = "Generate a synthetic labelled corpus (node states, ground-truth regimes, probe slowdowns, solo profiles) from the SPR contention simulator.";

function main(): number {
  let cfg;
  try {
    cfg = parseCorpusArgs(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${PROGRAM}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if ("help" in cfg) {
    process.stdout.write(formatHelp(PROGRAM, SUMMARY, CORPUS_FLAGS));
    return 0;
  }
  try {
    const catalog = loadWorkloadCatalog(cfg.catalogPath);
    const t0 = performance.now();
    const s = writeCorpus(cfg, catalog);
    const sec = (performance.now() - t0) / 1000;
    process.stderr.write(
      `${PROGRAM}: wrote ${cfg.outDir}: ${s.nodeStates} node states, ${s.performanceRows} probe rows, ${(s.bytes / 1e6).toFixed(1)} MB in ${sec.toFixed(1)} s; regimes ${JSON.stringify(s.regimeCounts)}\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof CatalogError || e instanceof ConfigError) {
      process.stderr.write(`${PROGRAM}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main();
