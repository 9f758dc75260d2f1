import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CatalogError, defaultCatalogPath, loadWorkloadCatalog, parseWorkloadCatalog, requireWorkload } from "./catalog.js";

const base = JSON.parse(readFileSync(defaultCatalogPath(), "utf8")) as { workloads: Record<string, unknown>[] };
const withFirst = (patch: Record<string, unknown>) => ({ ...base, workloads: [{ ...base.workloads[0], ...patch }, ...base.workloads.slice(1)] });

describe("workload catalog", () => {
  it("loads the repository catalog: >= 6 CNFs and >= 4 noisy neighbours", () => {
    const c = loadWorkloadCatalog();
    expect(c.cnfs.length).toBeGreaterThanOrEqual(6);
    expect(c.neighbours.length).toBeGreaterThanOrEqual(4);
    expect(requireWorkload(c, "upf-64b").kind).toBe("cnf");
    expect(c.workloads.map((w) => w.id)).toEqual(c.workloads.map((_, i) => i));
  });

  const cases: [string, unknown, RegExp][] = [
    ["not an object", [], /must be a JSON object/],
    ["wrong format", { ...base, format: "x" }, /"format" must be/],
    ["wrong version", { ...base, version: 2 }, /"version" must be 1/],
    ["empty workloads", { ...base, workloads: [] }, /non-empty array/],
    ["bad class name", withFirst({ class: "UPF 64" }), /class must be a lowercase name/],
    ["duplicate class", { ...base, workloads: [base.workloads[0], base.workloads[0]] }, /duplicate class/],
    ["bad kind", withFirst({ kind: "vnf" }), /kind must be "cnf" or "neighbour"/],
    ["missing number", withFirst({ coreCpi: undefined }), /coreCpi must be a finite number/],
    ["string number", withFirst({ cores: "8" }), /cores must be a finite number/],
    ["out of range", withFirst({ llcReuseFraction: 1.5 }), /llcReuseFraction = 1.5 is outside \[0, 1\]/],
    ["non-integer cores", withFirst({ cores: 2.5 }), /cores must be an integer/],
    ["more slots than the core has", withFirst({ coreCpi: 0.2, uopsPerInstr: 1.5 }), /exceeds 1/],
    ["no CNF", { ...base, workloads: base.workloads.filter((w) => w.kind !== "cnf") }, /no workload of kind "cnf"/],
  ];
  it.each(cases)("rejects %s with a clear error", (_name, doc, msg) => {
    expect(() => parseWorkloadCatalog(doc, "test.json")).toThrow(CatalogError);
    expect(() => parseWorkloadCatalog(doc, "test.json")).toThrow(msg);
  });

  it("rejects a missing file and invalid JSON, naming the path", () => {
    const dir = mkdtempSync(join(tmpdir(), "catalog-"));
    expect(() => loadWorkloadCatalog(join(dir, "nope.json"))).toThrow(/nope\.json: cannot read workload catalog/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(() => loadWorkloadCatalog(bad)).toThrow(/bad\.json: not valid JSON/);
  });

  it("unknown class lookups list the known classes", () => {
    expect(() => requireWorkload(loadWorkloadCatalog(), "quantum-router")).toThrow(/unknown workload class "quantum-router".*upf-64b/);
  });
});
