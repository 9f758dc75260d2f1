// Starts the e2e control plane (etcd + kube-apiserver, optionally kube-scheduler) by hand, applies
// the CRD, RBAC and admission policy from deploy/, prints how to reach it and runs until
// Ctrl-C / SIGTERM. For poking at the cluster the e2e uses:
//   npx tsc -p . && node dist/test/k8s/cluster-cli.js [--dir DIR] [--agents node-a,node-b] [--scheduler]
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { binariesPresent, binDir, repoRoot, schedulerConfigYaml, startControlPlane, startScheduler } from "./cluster.js";
import { kubectlOk } from "./kubectl.js";

const USAGE = "usage: cluster-cli [--dir DIR] [--agents node-a,node-b] [--scheduler]  (runs until Ctrl-C)";

function parseArgs(argv: string[]): { dir?: string; agents: string[]; scheduler: boolean } {
  const out = { dir: undefined as string | undefined, agents: [] as string[], scheduler: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      process.stdout.write(USAGE + "\n");
      process.exit(0);
    } else if (a === "--dir" && argv[i + 1]) out.dir = resolve(argv[++i]!);
    else if (a === "--agents" && argv[i + 1]) out.agents = argv[++i]!.split(",").filter(Boolean);
    else if (a === "--scheduler") out.scheduler = true;
    else {
      process.stderr.write(`cluster-cli: unknown or incomplete argument "${a}"\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!binariesPresent()) {
  process.stderr.write(`cluster-cli: kube-apiserver/kube-scheduler missing in ${binDir()}: run bash test/k8s/build.sh\n`);
  process.exit(1);
}
const dir = args.dir ?? mkdtempSync(join(tmpdir(), "overseer-k8s-"));
mkdirSync(dir, { recursive: true });
const cp = await startControlPlane({ dir, agentNodes: args.agents });
const admin = cp.kubeconfig(cp.admin);
for (const f of ["namespace.yaml", "crd-nodestate.yaml", "rbac-agent.yaml", "rbac-scorer.yaml", "admission-policy-agent-own-node.yaml"]) {
  await kubectlOk(admin, ["apply", "-f", join(repoRoot(), "deploy", f)]);
}
const lines = [`API server ${cp.server} (logs in ${dir}/logs)`, `export KUBECONFIG=${admin}`];
for (const [node, id] of cp.agents) lines.push(`agent of ${node}: --kubeconfig ${cp.kubeconfig(id)}`);
let scheduler: Awaited<ReturnType<typeof startScheduler>> | undefined;
if (args.scheduler) {
  const cfg = join(dir, "scheduler-config.yaml");
  writeFileSync(cfg, schedulerConfigYaml(cp.kubeconfig(cp.scheduler)));
  scheduler = await startScheduler(cp, cfg);
  lines.push(`kube-scheduler running without extenders (${cfg})`);
}
process.stdout.write(lines.join("\n") + "\nCtrl-C stops everything.\n");

let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    (scheduler?.stop() ?? Promise.resolve()).then(() => cp.stop()).then(() => process.exit(0));
  });
}
