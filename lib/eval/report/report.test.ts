import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { summariseAccuracy, type Prediction } from "../accuracy/metrics.js";
import { writeFileAtomic } from "./atomic-write.js";
import { renderReportHtml } from "./html.js";
import { InvalidReportIdError, ReportNotFoundError, ReportStore } from "./store.js";
import type { EvalReport } from "./types.js";

const tmp = () => mkdtemp(path.join(tmpdir(), "eval-report-"));

const pred = (cls: string, actual: number, predicted: number, upper: number): Prediction => ({ workloadClass: cls, nodeName: "n", sequence: 1, actual, predicted, upper, basis: "SCORE_BASIS_MODEL", trueRegime: "REGIME_QUIET", predictedRegime: "REGIME_QUIET" });

function sampleReport(): EvalReport {
  const accuracy = summariseAccuracy([pred("upf-64b", 1.2, 1.1, 1.3), pred("nat<64b>", 1.5, 1.4, 1.45)], new Set(["upf-64b"]), {
    modelVersion: "v1-abc",
    corpus: { dir: "/c", seed: 9, synthetic: true, probes: 2, nodeStates: 1 },
    nodeRegimeAccuracy: 1,
  });
  return { format: "overseer-eval-report", formatVersion: 1, reportId: "r-1", kind: "held-out-accuracy", createdAt: "2026-01-01T00:00:00.000Z", modelVersion: "v1-abc", synthetic: true, metrics: { slowdown_mape: 0.07 }, accuracy };
}

describe("writeFileAtomic", () => {
  it("replaces the file and leaves no temporary files", async () => {
    const dir = await tmp();
    const f = path.join(dir, "a.json");
    await writeFileAtomic(f, "old");
    await writeFileAtomic(f, "new");
    expect(await readFile(f, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  it("keeps the old file when the target cannot be replaced", async () => {
    const dir = await tmp();
    const f = path.join(dir, "a");
    await writeFile(f, "old");
    // A directory where the temp file should go cannot be created inside a file path.
    await expect(writeFileAtomic(path.join(f, "x"), "new")).rejects.toThrow();
    expect(await readFile(f, "utf8")).toBe("old");
  });
});

describe("HTML report", () => {
  it("embeds SVG plots and escapes names", () => {
    const html = renderReportHtml(sampleReport());
    expect(html).toContain("<svg");
    expect(html).toContain("nat&lt;64b&gt; (held out)");
    expect(html).not.toContain("nat<64b>");
    expect(html).toContain("synthetic");
    expect(html).toContain("Upper-bound coverage per workload");
  });
});

describe("ReportStore", () => {
  it("writes JSON and HTML, lists newest first, gets by id", async () => {
    const dir = await tmp();
    let t = Date.parse("2026-01-01T00:00:00Z");
    const store = new ReportStore(dir, () => new Date((t += 1000)));
    const { report: _, ...rest } = { report: 0, ...sampleReport() };
    const { format: _f, formatVersion: _v, reportId: _i, createdAt: _c, ...body } = rest;
    const a = await store.write(body);
    const b = await store.write({ ...body, kind: "placement-benchmark" });
    expect((await readdir(dir)).sort()).toEqual([`${a.report.reportId}.html`, `${a.report.reportId}.json`, `${b.report.reportId}.html`, `${b.report.reportId}.json`].sort());
    expect((await store.list()).map((r) => r.reportId)).toEqual([b.report.reportId, a.report.reportId]);
    const got = await store.get(a.report.reportId);
    expect(got.report.accuracy?.heldOut.n).toBe(1);
    expect(JSON.parse(got.json).reportId).toBe(a.report.reportId);
  });

  it("lists nothing for a missing directory and skips files that are not reports", async () => {
    const dir = await tmp();
    expect(await new ReportStore(path.join(dir, "none")).list()).toEqual([]);
    await writeFile(path.join(dir, "junk.json"), "{not json");
    await writeFile(path.join(dir, "other.json"), JSON.stringify({ format: "x" }));
    expect(await new ReportStore(dir).list()).toEqual([]);
  });

  it("rejects ids that could escape the directory, and reports unknown ids as not found", async () => {
    const store = new ReportStore(await tmp());
    await expect(store.get("../etc/passwd")).rejects.toThrow(InvalidReportIdError);
    await expect(store.get("")).rejects.toThrow(InvalidReportIdError);
    await expect(store.get("nope")).rejects.toThrow(ReportNotFoundError);
  });
});
