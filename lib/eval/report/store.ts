// Reports on disk: <dir>/<id>.json (the document) and <dir>/<id>.html, each written atomically.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { renderReportHtml } from "./html.js";
import { isValidReportId, newReportId, REPORT_FORMAT, REPORT_FORMAT_VERSION, type EvalReport, type ReportKind } from "./types.js";

export class ReportNotFoundError extends Error {}
export class InvalidReportIdError extends Error {}

export interface NewReport extends Omit<EvalReport, "format" | "formatVersion" | "reportId" | "createdAt"> {
  kind: ReportKind;
}

export class ReportStore {
  constructor(readonly dir: string, private readonly now: () => Date = () => new Date()) {}

  /** Assigns id and time, writes JSON then HTML; returns the stored document and its paths. */
  async write(r: NewReport): Promise<{ report: EvalReport; jsonPath: string; htmlPath: string }> {
    const at = this.now();
    const report: EvalReport = { format: REPORT_FORMAT, formatVersion: REPORT_FORMAT_VERSION, reportId: newReportId(r.kind, at, randomBytes(3).toString("hex")), createdAt: at.toISOString(), ...r };
    const jsonPath = path.join(this.dir, `${report.reportId}.json`);
    const htmlPath = path.join(this.dir, `${report.reportId}.html`);
    await writeFileAtomic(htmlPath, renderReportHtml(report));
    await writeFileAtomic(jsonPath, JSON.stringify(report, null, 2) + "\n");
    return { report, jsonPath, htmlPath };
  }

  /** Newest first; files that are not reports are skipped. */
  async list(): Promise<EvalReport[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const out: EvalReport[] = [];
    for (const name of names) {
      if (!name.endsWith(".json") || name.startsWith(".")) continue;
      try {
        const doc = JSON.parse(await readFile(path.join(this.dir, name), "utf8")) as EvalReport;
        if (doc.format === REPORT_FORMAT && isValidReportId(doc.reportId)) out.push(doc);
      } catch {
        // not a report (or being replaced): skip
      }
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.reportId < b.reportId ? 1 : -1));
  }

  async get(id: string): Promise<{ report: EvalReport; json: string }> {
    if (!isValidReportId(id)) throw new InvalidReportIdError(`report id "${id}" is not valid (letters, digits and '-', up to 128)`);
    let json: string;
    try {
      json = await readFile(path.join(this.dir, `${id}.json`), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new ReportNotFoundError(`no report "${id}" in ${this.dir}`);
      throw e;
    }
    return { report: JSON.parse(json) as EvalReport, json };
  }
}
