import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { prometheusConfigYaml } from "./prometheus-config.js";
import { repoRoot } from "./repo-root.js";
import { toolGate } from "./testing/tool-gate.js";

const ROOT = repoRoot();
const gate = toolGate(["promtool"], ROOT);
const jobs = [
  { job: "overseer-scorer-svc", targets: ["127.0.0.1:9453"] },
  { job: "overseer-agent", targets: ["127.0.0.1:1", "127.0.0.1:2"], labels: [{ node: "spr-node-01" }, { node: "spr-node-02" }] },
];

describe("prometheusConfigYaml", () => {
  it("one job per service, agent targets labelled with their node", () => {
    const y = prometheusConfigYaml(jobs, 2);
    expect(y).toContain("scrape_interval: 2s");
    expect(y).toContain('- job_name: "overseer-agent"');
    expect(y).toMatch(/targets: \["127\.0\.0\.1:2"\]\n\s+labels:\n\s+node: "spr-node-02"/);
  });
  if (gate.mustFail) it("promtool is installed (CI)", () => expect.fail(gate.missing));
  it.skipIf(gate.missing !== undefined)(`the written config and deploy/prometheus.yml pass promtool check config${gate.missing ? ` [SKIPPED: ${gate.missing}]` : ""}`, () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "prom-cfg-")), "prometheus.yml");
    writeFileSync(file, prometheusConfigYaml(jobs, 2));
    for (const f of [file, path.join(ROOT, "deploy/prometheus.yml")]) {
      const r = spawnSync(gate.paths.promtool!, ["check", "config", f], { encoding: "utf8" });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
  });
});
