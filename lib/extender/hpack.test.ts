// HPACK (hpack.ts, hpack-huffman.ts): the RFC 7541 Appendix C examples, the Huffman code's
// completeness, encoder/decoder round trips, and malformed blocks (errors, not crashes).
import { describe, expect, it } from "vitest";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "./hpack-huffman.js";
import { encodeHeaderBlock, HpackDecoder, HpackError, huffmanDecode, huffmanEncode, STATIC_TABLE } from "./hpack.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const pairs = (flat: string[]) => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
};

describe("Huffman code (RFC 7541 Appendix B)", () => {
  it("has 257 symbols and is a complete prefix code (Kraft sum exactly 1, no code a prefix of another)", () => {
    expect(HUFFMAN_CODES).toHaveLength(257);
    expect(HUFFMAN_LENGTHS).toHaveLength(257);
    // sum of 2^-len == 1, in integers: sum of 2^(30 - len) == 2^30 (30 is the longest code)
    expect(Math.max(...HUFFMAN_LENGTHS)).toBe(30);
    expect(HUFFMAN_LENGTHS.reduce((s, len) => s + 2 ** (30 - len), 0)).toBe(2 ** 30);
    const bits = HUFFMAN_CODES.map((c, i) => c.toString(2).padStart(HUFFMAN_LENGTHS[i]!, "0"));
    for (const [i, b] of bits.entries()) expect(b.length, `symbol ${i}`).toBe(HUFFMAN_LENGTHS[i]);
    const sorted = [...bits].sort();
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.startsWith(sorted[i - 1]!)).toBe(false);
    expect(bits[256]).toBe("1".repeat(30)); // EOS
  });

  it("every byte value, and random strings, decode back to what was encoded", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(huffmanDecode(huffmanEncode(all), 0, huffmanEncode(all).length)).toBe(all.toString("latin1"));
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    for (let n = 0; n < 50; n++) {
      const s = Buffer.from(Array.from({ length: n * 3 }, rnd));
      const enc = huffmanEncode(s);
      expect(huffmanDecode(enc, 0, enc.length)).toBe(s.toString("latin1"));
    }
  });

  it("RFC 7541 C.4.1 string: www.example.com", () => {
    expect([...huffmanEncode(Buffer.from("www.example.com"))]).toEqual([...hex("f1e3c2e5f23a6ba0ab90f4ff")]);
  });

  it("bad input is an HpackError: padding not 1s, padding over 7 bits, EOS inside", () => {
    expect(() => huffmanDecode(hex("18"), 0, 1)).toThrow(/padding is not the EOS prefix/); // 'a' (00011) + 000
    expect(() => huffmanDecode(hex("1fff"), 0, 2)).toThrow(/padding longer than 7 bits/); // 'a' + 11 ones
    expect(() => huffmanDecode(hex("ffffffff"), 0, 4)).toThrow(/EOS/);
    expect(() => huffmanDecode(hex("ffffffff"), 0, 4)).toThrow(HpackError);
  });
});

describe("HPACK decoder: RFC 7541 Appendix C", () => {
  it("C.2: one field of each representation", () => {
    const d = new HpackDecoder();
    expect(pairs(d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")))).toEqual([["custom-key", "custom-header"]]);
    expect(d.tableSize()).toBe(55);
    expect(pairs(new HpackDecoder().decode(hex("040c 2f73 616d 706c 652f 7061 7468")))).toEqual([[":path", "/sample/path"]]);
    const never = new HpackDecoder();
    expect(pairs(never.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74")))).toEqual([["password", "secret"]]);
    expect(never.tableSize()).toBe(0);
    expect(pairs(new HpackDecoder().decode(hex("82")))).toEqual([[":method", "GET"]]);
  });

  const requests = [
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ],
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ],
  ];

  it.each([
    ["C.3 (no Huffman)", ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"]],
    ["C.4 (Huffman)", ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"]],
  ])("%s: three requests on one decoder", (_name, blocks) => {
    const d = new HpackDecoder();
    const sizes = [57, 110, 164];
    blocks.forEach((b, i) => {
      expect(pairs(d.decode(hex(b)))).toEqual(requests[i]);
      expect(d.tableSize()).toBe(sizes[i]);
    });
    expect(d.entries()).toEqual([
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
  });

  const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
  const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
  const responses = [
    [
      [":status", "302"],
      ["cache-control", "private"],
      ["date", date1],
      ["location", "https://www.example.com"],
    ],
    [
      [":status", "307"],
      ["cache-control", "private"],
      ["date", date1],
      ["location", "https://www.example.com"],
    ],
    [
      [":status", "200"],
      ["cache-control", "private"],
      ["date", date2],
      ["location", "https://www.example.com"],
      ["content-encoding", "gzip"],
      ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ],
  ];

  it.each([
    [
      "C.5 (no Huffman)",
      [
        "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
        "4803 3330 37c1 c0bf",
        "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
      ],
    ],
    [
      "C.6 (Huffman)",
      [
        "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        "4883 640e ffc1 c0bf",
        "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
      ],
    ],
  ])("%s: three responses with a 256-octet table (eviction)", (_name, blocks) => {
    const d = new HpackDecoder(256);
    d.decode(hex("3fe101")); // size update to 256 (the RFC's table size for these examples)
    const sizes = [222, 222, 215];
    blocks.forEach((b, i) => {
      expect(pairs(d.decode(hex(b)))).toEqual(responses[i]);
      expect(d.tableSize()).toBe(sizes[i]);
    });
    expect(d.entries().map(([n]) => n)).toEqual(["set-cookie", "content-encoding", "date"]);
  });
});

describe("HPACK decoder: table size updates and malformed blocks", () => {
  it("a size update evicts; an entry larger than the table empties it", () => {
    const d = new HpackDecoder();
    d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    expect(d.tableSize()).toBe(55);
    d.decode(hex("20")); // size 0
    expect(d.tableSize()).toBe(0);
    expect(() => d.decode(hex("be"))).toThrow(/index 62 out of range/);
    d.decode(hex("3f11")); // size 31+17 = 48: the custom-key entry (55) no longer fits
    d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    expect(d.tableSize()).toBe(0);
  });

  it.each([
    ["index 0", "80", /index 0/],
    ["index out of range", "be", /out of range/],
    ["integer overflow", "ff ff ff ff ff ff ff 0f", /integer overflow/],
    ["block truncated inside an integer", "ff 80", /truncated inside an integer/],
    ["string past the end", "40 0a 63 75", /runs past the end/],
    ["block truncated before a string", "40", /truncated before a string/],
    ["size update above our limit", "3f e2 1f", /above the limit 4096/],
    ["size update after a field", "82 20", /after a header field/],
    ["bad Huffman padding in a value", "00 01 61 81 18", /padding/],
    // a 4,000-octet entry, then 300 one-octet references to it: 1.2 MB decoded from 4 KB
    ["a header list that decodes above 1 MiB", `40 01 61 7f a1 1e ${"62".repeat(4000)} ${"be".repeat(300)}`, /header list above 1048576 octets/],
  ])("%s → HpackError", (_name, bytes, message) => {
    const d = new HpackDecoder();
    let err: unknown;
    try {
      d.decode(hex(bytes));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HpackError);
    expect((err as Error).message).toMatch(message);
  });
});

describe("HPACK encoder", () => {
  it("literal fields without indexing decode back, with static name indexes where they exist", () => {
    const fields: [string, string][] = [
      [":method", "POST"],
      [":path", "/overseer.v1.ScorerService/ScoreNodes"],
      ["content-type", "application/grpc"],
      ["grpc-timeout", "1500m"],
      ["x-long", "v".repeat(300)],
      ["latin1", "caf\u00e9"],
      ["x-at-126", "a".repeat(126)],
      ["x-at-127", "b".repeat(127)],
      ["x-at-128", "c".repeat(128)],
      ["n".repeat(200), ""],
      ["x-big", "d".repeat(70_000)],
    ];
    const block = encodeHeaderBlock(fields);
    expect(block[0]).toBe(0x02); // :method by static name index 2, without indexing (0000 prefix)
    const d = new HpackDecoder();
    expect(pairs(d.decode(block))).toEqual(fields);
    expect(d.tableSize()).toBe(0); // nothing indexed
    expect(STATIC_TABLE).toHaveLength(61);
  });
});

describe("HPACK decoder on random input", () => {
  it("either decodes or throws HpackError, never anything else (2,000 random blocks on one decoder)", () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const d = new HpackDecoder();
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const block = Buffer.from(Array.from({ length: 1 + (rnd() % 40) }, () => rnd() & 0xff));
      try {
        d.decode(block);
      } catch (e) {
        expect(e).toBeInstanceOf(HpackError);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(d.tableSize()).toBeLessThanOrEqual(4096);
  });
});
