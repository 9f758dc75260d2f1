import { readFile } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { parseManifest } from "./manifest.js";
import { writeTestBundle } from "./testing/make-test-bundle.js";

async function manifest(): Promise<Record<string, any>> {
  const dir = await writeTestBundle(path.join(await mkdtemp(path.join(tmpdir(), "manifest-")), "b"));
  return JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
}

describe("parseManifest", () => {
  it("reads regimes, profiles and the default class", async () => {
    const m = parseManifest(JSON.stringify(await manifest()));
    expect(m.regimes[0]).toBe(Regime.REGIME_QUIET);
    expect(m.workloadProfiles.get("upf")!.profile.memReadBytesPerSec).toBe(6e9);
    expect(m.defaultProfileClass).toBe("stream-noisy");
  });

  it("accepts profile values keyed by SoloProfile field names (camelCase) too", async () => {
    const raw = await manifest();
    raw.workload_profiles.upf.profile = Object.fromEntries(Object.entries(raw.workload_profiles.upf.profile).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), v]));
    expect(parseManifest(JSON.stringify(raw)).workloadProfiles.get("upf")!.profile.instructionsPerSec).toBe(8e9);
  });

  it("reads a profile field that proto3 JSON omitted (zero) as 0", async () => {
    const raw = await manifest();
    delete raw.workload_profiles.upf.profile.l3_bound_stall_fraction;
    const p = parseManifest(JSON.stringify(raw)).workloadProfiles.get("upf")!.profile;
    expect(p.l3BoundStallFraction).toBe(0);
    expect(p.cores).toBe(4);
  });

  it("reads a bundle from before llc_hit_ratio_at_quarter_working_set (not in its profile names) with the field 0", async () => {
    const raw = await manifest();
    raw.profile_feature_names = raw.profile_feature_names.filter((n: string) => n !== "llc_hit_ratio_at_quarter_working_set");
    for (const e of Object.values(raw.workload_profiles) as any[]) delete e.profile.llc_hit_ratio_at_quarter_working_set;
    const m = parseManifest(JSON.stringify(raw));
    expect(m.profileFeatureNames).not.toContain("llc_hit_ratio_at_quarter_working_set");
    expect(m.workloadProfiles.get("upf")!.profile.llcHitRatioAtQuarterWorkingSet).toBe(0);
    expect(m.workloadProfiles.get("upf")!.profile.l2MissesPerKiloInstr).toBe(9);
  });

  it("without default_profile_class picks the most memory-intensive profile", async () => {
    const raw = await manifest();
    delete raw.default_profile_class;
    expect(parseManifest(JSON.stringify(raw)).defaultProfileClass).toBe("stream-noisy");
  });

  it.each([
    ["a different bundle format", (m: any) => (m.bundle_format_version = 2), /bundle_format_version is 2/],
    ["an unknown regime name", (m: any) => (m.regime_names = ["REGIME_QUIET", "REGIME_SPICY"]), /REGIME_SPICY/],
    ["REGIME_UNSPECIFIED as a class", (m: any) => (m.regime_names = ["REGIME_UNSPECIFIED"]), /REGIME_UNSPECIFIED/],
    ["a profile feature SoloProfile cannot carry", (m: any) => m.profile_feature_names.push("gpu_count"), /gpu_count/],
    ["a profile value that is not a number", (m: any) => (m.workload_profiles.upf.profile.cores = "4"), /workload_profiles\.upf\.profile\.cores must be a finite number/],
    ["a profile value that is a boolean", (m: any) => (m.workload_profiles.upf.profile.cores = true), /workload_profiles\.upf\.profile\.cores must be a finite number/],
    ["a default class without a profile", (m: any) => (m.default_profile_class = "nope"), /default_profile_class "nope"/],
    ["a malformed checksum", (m: any) => (m.files["regime.onnx"] = "abc"), /files\["regime\.onnx"\]/],
    ["no version", (m: any) => delete m.version, /"version"/],
  ])("refuses %s", async (_n, mutate, message) => {
    const raw = await manifest();
    mutate(raw);
    expect(() => parseManifest(JSON.stringify(raw))).toThrow(message);
  });
});
