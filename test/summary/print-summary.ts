// Prints "N passed, N failed[, N skipped]" from vitest's JSON report, pytest's JUnit XML and
// extra check results, so CI and `make test` end with one line that counts everything.
// usage: node dist/test/summary/print-summary.js [--vitest FILE] [--junit FILE]... [--checks FILE]
//   checks FILE: lines "pass NAME" / "fail NAME"
import { existsSync, readFileSync } from "node:fs";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countVitest(json: string): Counts {
  const r = JSON.parse(json) as { numPassedTests: number; numFailedTests: number; numPendingTests?: number; numTodoTests?: number; testResults?: { status: string; assertionResults: unknown[] }[] };
  // a test file that failed to load has no assertion results: count it as one failure
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  return { passed: r.numPassedTests, failed: r.numFailedTests + brokenFiles, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) };
}

export function countJunit(xml: string): Counts {
  const suites = [...xml.matchAll(/<testsuite\b([^>]*)>/g)].map((m) => m[1]!);
  const attr = (s: string, name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(s)?.[1] ?? 0);
  let tests = 0, failures = 0, errors = 0, skipped = 0;
  for (const s of suites) {
    tests += attr(s, "tests");
    failures += attr(s, "failures");
    errors += attr(s, "errors");
    skipped += attr(s, "skipped");
  }
  return { passed: tests - failures - errors - skipped, failed: failures + errors, skipped };
}

export function countChecks(text: string): Counts {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  return {
    passed: lines.filter((l) => l.startsWith("pass ")).length,
    failed: lines.filter((l) => l.startsWith("fail ")).length,
    skipped: 0,
  };
}

function main(argv: string[]): number {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (c: Counts) => {
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, file] = [argv[i], argv[i + 1]];
    if (!file) throw new Error(`${flag} needs a file`);
    if (!existsSync(file)) {
      console.error(`summary: ${file} missing: counted as one failure`);
      total.failed += 1;
      continue;
    }
    const text = readFileSync(file, "utf8");
    if (flag === "--vitest") add(countVitest(text));
    else if (flag === "--junit") add(countJunit(text));
    else if (flag === "--checks") add(countChecks(text));
    else throw new Error(`unknown flag ${flag}`);
  }
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return total.failed > 0 ? 1 : 0;
}

if (process.argv[1]?.endsWith("print-summary.js")) process.exitCode = main(process.argv.slice(2));
