// A Kubernetes control plane without kubelets, as plain processes on 127.0.0.1: etcd,
// kube-apiserver (static token auth, Node+RBAC authorization) and, on demand, kube-scheduler.
// Binaries come from test/k8s/build.sh (see docs/kubernetes.md). Every port is picked free at
// start, every file lives in one temporary directory, so parallel runs do not collide.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { kubeRequest, type KubeHttpTarget } from "./kube-http.js";
import { freePort, startProc, waitFor, type Proc } from "./processes.js";

/** Folder holding test/k8s/go.mod, found upwards from this file (works from test/ and dist/test/). */
export function harnessDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "test/k8s/go.mod"))) return join(dir, "test/k8s");
    if (existsSync(join(dir, "go.mod")) && existsSync(join(dir, "cluster.ts"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("test/k8s/go.mod not found above " + fileURLToPath(import.meta.url));
}

export const repoRoot = (): string => resolve(harnessDir(), "../..");

/** The pinned Kubernetes release, read from test/k8s/go.mod. */
export function kubernetesVersion(): string {
  const m = /^(?:require)?\s*k8s\.io\/kubernetes (v\S+)\s*$/m.exec(readFileSync(join(harnessDir(), "go.mod"), "utf8"));
  if (!m) throw new Error("test/k8s/go.mod does not require k8s.io/kubernetes");
  return m[1]!;
}

/** Where build.sh puts the binaries: $OVERSEER_K8S_BIN_DIR, else ~/.cache/overseer/k8s-<version>. */
export function binDir(): string {
  return process.env.OVERSEER_K8S_BIN_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "overseer", `k8s-${kubernetesVersion()}`);
}

/** Absolute path of a harness binary; etcd and kubectl fall back to PATH (see build.sh). */
export function binary(name: "kube-apiserver" | "kube-scheduler" | "etcd" | "kubectl"): string {
  const p = join(binDir(), name);
  if (existsSync(p)) return p;
  if (name === "etcd" || name === "kubectl") return name;
  throw new Error(`${p} is missing: run bash test/k8s/build.sh first`);
}

/** True when build.sh has produced everything the e2e needs. */
export function binariesPresent(): boolean {
  return existsSync(join(binDir(), "kube-apiserver")) && existsSync(join(binDir(), "kube-scheduler"));
}

export interface Identity {
  user: string;
  token: string;
  groups: string[];
}

export interface ClusterOptions {
  /** Working directory (created); default a fresh one under the OS temp dir. */
  dir: string;
  /** Node names that get an agent identity `overseer-agent:<node>` (group overseer:agents). */
  agentNodes?: string[];
  /** Extra static identities, e.g. a scorer. */
  extraIdentities?: Omit<Identity, "token">[];
}

export interface ControlPlane extends KubeHttpTarget {
  dir: string;
  caFile: string;
  admin: Identity;
  scheduler: Identity;
  agents: Map<string, Identity>;
  extra: Map<string, Identity>;
  etcd: Proc;
  apiserver: Proc;
  /** Writes a kubeconfig for the identity and returns its path. */
  kubeconfig(id: Identity): string;
  stop(): Promise<void>;
}

const token = () => randomBytes(24).toString("hex");

function csvField(v: string): string {
  if (/[",\n]/.test(v)) throw new Error(`static token field with a comma or quote: ${v}`);
  return v;
}

export async function startControlPlane(opts: ClusterOptions): Promise<ControlPlane> {
  const dir = opts.dir;
  mkdirSync(join(dir, "logs"), { recursive: true });
  mkdirSync(join(dir, "pki"), { recursive: true });

  // --- etcd
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const etcd = startProc(
    "etcd",
    binary("etcd"),
    [
      "--name=overseer-e2e",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=overseer-e2e=http://127.0.0.1:${etcdPeer}`,
      "--initial-cluster-state=new",
      "--log-level=warn",
    ],
    join(dir, "logs/etcd.log"),
  );
  try {
    await waitFor("etcd healthy", async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, etcd);
  } catch (e) {
    await etcd.stop();
    throw e;
  }

  // --- identities (static token file: token,user,uid,"group1,group2")
  const admin: Identity = { user: "overseer-e2e-admin", token: token(), groups: ["system:masters"] };
  const scheduler: Identity = { user: "system:kube-scheduler", token: token(), groups: [] };
  const agents = new Map<string, Identity>();
  for (const node of opts.agentNodes ?? []) agents.set(node, { user: `overseer-agent:${node}`, token: token(), groups: ["overseer:agents"] });
  const extra = new Map<string, Identity>();
  for (const id of opts.extraIdentities ?? []) extra.set(id.user, { ...id, token: token() });
  const all = [admin, scheduler, ...agents.values(), ...extra.values()];
  const tokenFile = join(dir, "pki/tokens.csv");
  writeFileSync(
    tokenFile,
    all.map((id, i) => `${id.token},${csvField(id.user)},uid-${i}${id.groups.length ? `,"${id.groups.map(csvField).join(",")}"` : ""}`).join("\n") + "\n",
    { mode: 0o600 },
  );

  // --- service-account token signing key (ES256)
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  writeFileSync(join(dir, "pki/sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(dir, "pki/sa.pub"), publicKey.export({ type: "spki", format: "pem" }));

  // --- kube-apiserver
  const certDir = join(dir, "pki/serving");
  const apiserver = startProc(
    "kube-apiserver",
    binary("kube-apiserver"),
    [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokenFile}`,
      "--anonymous-auth=false",
      "--authorization-mode=Node,RBAC",
      // No kubelet and no controller-manager: nothing would remove the not-ready taint.
      "--disable-admission-plugins=TaintNodesByCondition",
      "--enable-admission-plugins=NodeRestriction",
      "--allow-privileged=true",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${join(dir, "pki/sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "pki/sa.key")}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--endpoint-reconciler-type=none",
      "--profiling=false",
      "--v=1",
    ],
    join(dir, "logs/kube-apiserver.log"),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const caFile = join(certDir, "apiserver.crt");
  const target = (): KubeHttpTarget => ({ server, ca: readFileSync(caFile) });
  const stopAll = async () => {
    await apiserver.stop();
    await etcd.stop();
  };
  try {
    await waitFor(
      "kube-apiserver ready",
      async () => existsSync(caFile) && (await kubeRequest(target(), admin.token, "GET", "/readyz")).status === 200,
      120_000,
      apiserver,
      500,
    );
  } catch (e) {
    await stopAll();
    throw e;
  }

  const ca = readFileSync(caFile);
  const kubeconfig = (id: Identity): string => {
    const file = join(dir, `kubeconfig-${id.user.replace(/[^a-zA-Z0-9_.-]/g, "_")}.yaml`);
    writeFileSync(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: e2e",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority: ${caFile}`,
        "users:",
        `- name: ${JSON.stringify(id.user)}`,
        "  user:",
        `    token: ${id.token}`,
        "contexts:",
        "- name: e2e",
        "  context:",
        "    cluster: e2e",
        `    user: ${JSON.stringify(id.user)}`,
        "current-context: e2e",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    return file;
  };

  return { server, ca, caFile, dir, admin, scheduler, agents, extra, etcd, apiserver, kubeconfig, stop: stopAll };
}

/** Starts kube-scheduler with the given KubeSchedulerConfiguration file (leader election off). */
export async function startScheduler(cp: ControlPlane, configFile: string, name = "kube-scheduler"): Promise<Proc> {
  const proc = startProc(
    name,
    binary("kube-scheduler"),
    [
      `--config=${configFile}`,
      // No serving endpoint: nothing scrapes it here and it needs no port.
      "--secure-port=0",
      "--v=2",
    ],
    join(cp.dir, `logs/${name}.log`),
  );
  return proc;
}

/** A KubeSchedulerConfiguration (v1) for this control plane, with optional extenders (YAML list items, already indented by 2). */
export function schedulerConfigYaml(kubeconfigFile: string, extendersYaml = ""): string {
  return [
    "apiVersion: kubescheduler.config.k8s.io/v1",
    "kind: KubeSchedulerConfiguration",
    "clientConnection:",
    `  kubeconfig: ${JSON.stringify(kubeconfigFile)}`,
    "leaderElection:",
    "  leaderElect: false",
    ...(extendersYaml ? ["extenders:", extendersYaml.trimEnd()] : []),
    "",
  ].join("\n");
}
