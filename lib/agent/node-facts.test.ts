import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildNodeFacts, cpuidOf, parseCacheSize, parseCpuinfo, readLlcBytes, SPR_CHANNEL_BYTES_PER_SEC } from "./node-facts.js";

const sprBlock = (cpu: number, socket: number) =>
  `processor\t: ${cpu}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz\nphysical id\t: ${socket}\ncpu cores\t: 56\n`;

describe("node facts", () => {
  it("parses a 2-socket SPR /proc/cpuinfo (cpuid in perf's form, nominal clock)", () => {
    const text = Array.from({ length: 8 }, (_, i) => sprBlock(i, i < 4 ? 0 : 1)).join("\n");
    const c = parseCpuinfo(text);
    expect(c).toMatchObject({ vendor: "GenuineIntel", family: 6, model: 143, sockets: 2, coresPerSocket: 56, logicalCpus: 8, nominalHz: 2e9 });
    expect(cpuidOf(c)).toBe("GenuineIntel-6-8F");
    const f = buildNodeFacts(c, 210 * 1024 * 1024);
    expect(f.pmu.microarchitecture).toBe("sapphirerapids");
    expect(f.pmu.memoryChannels).toBe(16);
    expect(f.capacity.peakMemoryBandwidthBytesPerSec).toBe(16 * SPR_CHANNEL_BYTES_PER_SEC);
    expect(f.capacity.tscHz).toBe(2e9);
  });

  it("overrides win over what the node reports", () => {
    const c = parseCpuinfo(sprBlock(0, 0));
    const f = buildNodeFacts(c, 1, { memoryChannels: 4, channelBytesPerSec: 10, tscHz: 5, llcBytes: 7, logicalCpus: 224 });
    expect(f.capacity).toEqual({ logicalCpus: 224, tscHz: 5, llcBytes: 7, peakMemoryBandwidthBytesPerSec: 40 });
    expect(buildNodeFacts(c, 1, { peakMemoryBandwidthBytesPerSec: 99 }).capacity.peakMemoryBandwidthBytesPerSec).toBe(99);
  });

  it("unknown model name clock and empty cpuinfo leave facts unknown (0), not invented", () => {
    const amd = parseCpuinfo("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n");
    expect(amd.nominalHz).toBe(0);
    expect(buildNodeFacts(amd, 0).pmu.microarchitecture).toBe("");
    const none = parseCpuinfo("");
    expect(none.logicalCpus).toBe(0);
    expect(cpuidOf(none)).toBe("");
  });

  it("sums distinct LLC instances from sysfs", () => {
    const root = mkdtempSync(join(tmpdir(), "cpu-"));
    const add = (cpu: number, idx: number, level: number, type: string, size: string, shared: string) => {
      const d = join(root, `cpu${cpu}`, "cache", `index${idx}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "level"), `${level}\n`);
      writeFileSync(join(d, "type"), `${type}\n`);
      writeFileSync(join(d, "size"), `${size}\n`);
      writeFileSync(join(d, "shared_cpu_list"), `${shared}\n`);
    };
    for (let cpu = 0; cpu < 4; cpu++) {
      add(cpu, 0, 1, "Data", "48K", `${cpu}`);
      add(cpu, 1, 1, "Instruction", "32K", `${cpu}`);
      add(cpu, 3, 3, "Unified", "107520K", cpu < 2 ? "0-1" : "2-3");
    }
    expect(readLlcBytes(root)).toBe(2 * 107520 * 1024);
    expect(readLlcBytes(join(root, "nope"))).toBe(0);
  });

  it.each([
    ["32K", 32768],
    ["105M", 105 * 1024 * 1024],
    ["512", 512],
    ["garbage", 0],
  ])("parseCacheSize(%s)", (t, v) => expect(parseCacheSize(t)).toBe(v));
});
