// The evaluation's private serving stack as real child processes (node dist/cmd/*/main.js), the
// way users run them. Needs a build (`make build` runs before `make test`); skipped without dist/.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { getModelInfo } from "../lib/eval/accuracy/held-out.js";
import { createOverseerPolicyFactory } from "../lib/eval/placement/overseer-policy.js";
import { createOraclePolicy } from "../lib/eval/placement/policies.js";
import { comparePolicies } from "../lib/eval/placement/run.js";
import { createScenario } from "../lib/eval/placement/scenario.js";
import { defaultDistDir, startStack, type RunningStack } from "../lib/eval/services/stack.js";
import { tempDir, writeBundleTrainedOn } from "../lib/eval/testing/fixtures.js";
import { loadWorkloadCatalog } from "../lib/sim/catalog.js";

const dist = defaultDistDir();
const built = ["regime-svc", "scorer-svc", "extender"].every((c) => existsSync(path.join(dist, "cmd", c, "main.js")));
let stack: RunningStack | undefined;

afterAll(async () => {
  await stack?.stop();
});

describe.skipIf(!built)("private stack as child processes", () => {
  it("starts regime-svc, scorer-svc and the extender from dist/ and places pods through them", async () => {
    const root = await tempDir("procs");
    const bundle = path.join(root, "bundle");
    await writeBundleTrainedOn(bundle, ["upf-64b"], { version: "procs-v1" });
    stack = await startStack({ bundleDir: bundle, mode: "processes", freshnessMs: 600_000, regimeFlushMs: 1 });
    expect(stack.mode).toBe("processes");
    expect((await getModelInfo(stack.regimeAddress)).model!.version).toBe("procs-v1");
    const catalog = loadWorkloadCatalog();
    const scenario = createScenario({ seed: 12, nodeCount: 5, podCount: 6 }, catalog);
    const { comparison } = await comparePolicies(scenario, catalog, [createOverseerPolicyFactory({ scorerAddress: stack.scorerAddress, extenderUrl: stack.extenderUrl }), createOraclePolicy]);
    expect(comparison.policies.map((p) => [p.policy, p.placed])).toEqual([["overseer", 6], ["oracle", 6]]);
    await stack.stop();
    stack = undefined;
  }, 90_000);

  it("a missing binary is a clear error", async () => {
    await expect(startStack({ bundleDir: "/nonexistent", mode: "processes", distDir: "/nonexistent-dist" })).rejects.toThrow(/does not exist \(run `npx tsc -p \.` first\)/);
  });
});
