// prometheus.yml for the local stack: one job per OverSeer service, with the ports this run uses.
// deploy/prometheus.yml is the same shape with the services' default ports.

export interface ScrapeJob {
  job: string;
  /** host:port of the /metrics endpoints. */
  targets: string[];
  /** Extra labels per target (same order), e.g. { node: "spr-node-01" } for agents. */
  labels?: Record<string, string>[];
}

export function prometheusConfigYaml(jobs: readonly ScrapeJob[], scrapeIntervalSec: number): string {
  const L = [
    "# Written by overseer-local for this run (deploy/prometheus.yml has the default ports).",
    "global:",
    `  scrape_interval: ${scrapeIntervalSec}s`,
    `  evaluation_interval: ${scrapeIntervalSec}s`,
    "scrape_configs:",
  ];
  for (const j of jobs) {
    L.push(`  - job_name: ${JSON.stringify(j.job)}`, "    metrics_path: /metrics", "    static_configs:");
    j.targets.forEach((t, i) => {
      L.push(`      - targets: [${JSON.stringify(t)}]`);
      const labels = j.labels?.[i];
      if (labels && Object.keys(labels).length > 0) {
        L.push("        labels:");
        for (const [k, v] of Object.entries(labels)) L.push(`          ${k}: ${JSON.stringify(v)}`);
      }
    });
  }
  return L.join("\n") + "\n";
}
