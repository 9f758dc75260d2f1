// Metrics conventions with the real tools: `promtool check metrics` on every service's real
// /metrics output, and a real Prometheus scraping every service (all targets up, key series present).
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePorts } from "../lib/local-stack/ports.js";
import { prometheusConfigYaml } from "../lib/local-stack/prometheus-config.js";
import { waitForHttpOk } from "../lib/local-stack/readiness.js";
import { repoRoot } from "../lib/local-stack/repo-root.js";
import { startTestStack, type TestStack } from "../lib/local-stack/testing/stack-fixture.js";
import { toolGate } from "../lib/local-stack/testing/tool-gate.js";

const ROOT = repoRoot();
const gate = toolGate(["promtool", "prometheus"], ROOT);
if (gate.mustFail) {
  describe("observability tools", () => it("are installed (CI must install prometheus + promtool)", () => expect.fail(gate.missing)));
}

function run(cmd: string, args: string[], stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, out }));
    p.stdin.end(stdin);
  });
}

async function get(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

/** One prioritize call so the extender's request histograms have samples. */
async function oneDecision(s: TestStack): Promise<void> {
  const pod = { metadata: { name: "obs-upf", namespace: "cnf", uid: "u-obs-1", annotations: { "overseer.io/workload-class": "upf-64b" } }, spec: {} };
  const res = await fetch(`${s.svc.extenderUrl}/prioritize`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Pod: pod, Nodes: null, NodeNames: [s.agent.nodeName, "no-such-node"] }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

describe.skipIf(gate.missing !== undefined)(`metrics conventions with real promtool and Prometheus${gate.missing ? ` [SKIPPED: ${gate.missing}]` : ""}`, () => {
  let stack: TestStack;
  let endpoints: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack();
    endpoints = {
      "regime-svc": `127.0.0.1:${stack.svc.ports.regimeMetrics}`,
      "scorer-svc": `127.0.0.1:${stack.svc.ports.scorerMetrics}`,
      extender: `127.0.0.1:${stack.svc.ports.extenderHttp}`,
      agent: stack.agent.metrics,
    };
    await oneDecision(stack);
  }, 90_000);
  afterAll(async () => stack?.stop(), 30_000);

  it.each(["regime-svc", "scorer-svc", "extender", "agent"])("%s: /metrics passes promtool check metrics", async (svc) => {
    const body = await get(`http://${endpoints[svc]}/metrics`);
    expect(body).toMatch(/^# HELP overseer_/m);
    const r = await run(gate.paths.promtool!, ["check", "metrics"], body);
    expect(r.out.trim(), `promtool on ${svc}`).toBe("");
    expect(r.code).toBe(0);
  });

  it("a real Prometheus scrapes every service: all targets up, key series present", async () => {
    const dir = path.join(stack.dir, "prometheus");
    mkdirSync(dir, { recursive: true });
    const jobs = [
      { job: "overseer-regime-svc", targets: [endpoints["regime-svc"]!] },
      { job: "overseer-scorer-svc", targets: [endpoints["scorer-svc"]!] },
      { job: "overseer-extender", targets: [endpoints.extender!] },
      { job: "overseer-agent", targets: [endpoints.agent!], labels: [{ node: stack.agent.nodeName }] },
    ];
    const config = path.join(dir, "prometheus.yml");
    writeFileSync(config, prometheusConfigYaml(jobs, 1));
    const check = await run(gate.paths.promtool!, ["check", "config", config], "");
    expect(check.code, check.out).toBe(0);
    const [port] = await freePorts(1);
    const prom = stack.sup.start({
      name: "prometheus",
      command: gate.paths.prometheus!,
      args: [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      cwd: dir,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttpOk(`${url}/-/ready`, { timeoutMs: 30_000, what: "prometheus", alive: () => prom.running });

    const query = async (q: string) => {
      const r = JSON.parse(await get(`${url}/api/v1/query?query=${encodeURIComponent(q)}`)) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      return r.data.result;
    };
    const deadline = Date.now() + 30_000;
    let up: Awaited<ReturnType<typeof query>> = [];
    while (Date.now() < deadline) {
      up = await query("up");
      if (up.length === 4 && up.every((s) => s.value[1] === "1")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(up.map((s) => `${s.metric.job}=${s.value[1]}`).sort()).toEqual([
      "overseer-agent=1",
      "overseer-extender=1",
      "overseer-regime-svc=1",
      "overseer-scorer-svc=1",
    ]);
    for (const series of [
      "overseer_scorer_nodes",
      "overseer_scorer_stale_nodes",
      "overseer_scorer_node_regime",
      "overseer_scorer_decision_classify_calls_total",
      "overseer_extender_request_duration_seconds_bucket",
      "overseer_extender_decisions_total",
      "overseer_regime_classify_batch_size_count",
      "overseer_agent_intervals_total",
    ]) {
      expect((await query(series)).length, `series ${series}`).toBeGreaterThan(0);
    }
    const nodes = await query("overseer_scorer_nodes");
    expect(Number(nodes[0]!.value[1])).toBeGreaterThanOrEqual(1);
    // Regime per node (the dashboard's "Regime per node"): the agent's node has exactly one current regime.
    let regimes: Awaited<ReturnType<typeof query>> = [];
    for (let i = 0; i < 20 && !regimes.some((r) => r.metric.regime !== "unclassified"); i++) {
      regimes = await query(`overseer_scorer_node_regime{node="${stack.agent.nodeName}"}`);
      if (!regimes.some((r) => r.metric.regime !== "unclassified")) await new Promise((r) => setTimeout(r, 500));
    }
    expect(regimes.map((r) => [r.metric.regime, r.value[1]])).toEqual([[expect.stringMatching(/^(quiet|core_bound|llc_contended|memory_bandwidth_saturated|mixed)$/), "1"]]);

    // deploy/grafana-dashboard.json: every expression is valid PromQL for this Prometheus, and every
    // overseer_* metric it uses is one a service really exposes.
    const dashboard = JSON.parse(readFileSync(path.join(ROOT, "deploy/grafana-dashboard.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exposed = new Set<string>();
    for (const ep of Object.values(endpoints)) for (const m of (await get(`http://${ep}/metrics`)).matchAll(/^# TYPE (\S+)/gm)) exposed.add(m[1]!);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(10);
    for (const { panel, expr } of exprs) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      expect(res.status, `${panel}: ${expr}: ${await res.clone().text()}`).toBe(200);
      for (const m of expr.matchAll(/\b(overseer_[a-z_]+)/g)) {
        const base = m[1]!.replace(/_(bucket|sum|count)$/, "");
        expect(exposed.has(base) || exposed.has(m[1]!), `${panel}: ${m[1]} is not exposed by any service`).toBe(true);
      }
    }
  }, 60_000);
});
