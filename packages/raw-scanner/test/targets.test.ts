import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatIpv6,
  parseIp,
  parsePorts,
  parseTargets,
  RawScannerError,
  TargetSpace,
} from "../src/index.js";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RawScannerError) return e.code;
    throw e;
  }
  return "no error";
};

describe("targets", () => {
  it("parses addresses, CIDR blocks and ranges of both families", () => {
    const r = parseTargets([
      "127.0.0.1",
      "10.0.0.0/30, 192.168.1.250-192.168.1.255",
      "::1",
      "fd00::/126",
      "fd00::10-fd00::12",
    ]);
    expect(r.v4).toEqual([
      [0x7f000001, 0x7f000001],
      [0x0a000000, 0x0a000003],
      [0xc0a801fa, 0xc0a801ff],
    ]);
    expect(r.v6.map(([b, e]) => [formatIpv6(b), formatIpv6(e)])).toEqual([
      ["::1", "::1"],
      ["fd00::", "fd00::3"],
      ["fd00::10", "fd00::12"],
    ]);
  });

  it("normalises a CIDR block that is not on its boundary", () => {
    expect(parseTargets(["10.1.2.3/24"]).v4).toEqual([[0x0a010200, 0x0a0102ff]]);
  });

  it.each([
    ["300.1.1.1"],
    ["10.0.0.0/33"],
    ["10.0.0.9-10.0.0.1"],
    ["fd00::/129"],
    ["::5-::1"],
    ["example.com"],
    ["01.2.3.4"],
    ["1.2.3.4/x"],
    ["1.2.3.4-::1"],
  ])("rejects %s with INVALID_TARGET", (spec) => {
    expect(code(() => parseTargets([spec]))).toBe("INVALID_TARGET");
  });

  it("parses IPv6 with an embedded IPv4 tail and formats RFC 5952", () => {
    const ip = parseIp("::ffff:10.1.2.3");
    expect(ip.version).toBe(6);
    expect(formatIpv6(ip.value as bigint)).toBe("::ffff:a01:203");
    expect(formatIpv6(parseIp("2001:db8:0:0:1:0:0:1").value as bigint)).toBe("2001:db8::1:0:0:1");
    expect(code(() => parseIp("1:2:3:4:5:6:7:8:9"))).toBe("INVALID_TARGET");
  });

  it("parses port lists and refuses non-TCP and out-of-range ports", () => {
    expect(parsePorts("22,80-82,T:443,80").ranges).toEqual([
      [22, 22],
      [80, 82],
      [443, 443],
    ]);
    expect(parsePorts([22, "8080"]).count).toBe(2);
    for (const bad of ["0", "65536", "U:53", "90-80", "http", ""]) {
      expect(
        code(() => parsePorts(bad)),
        bad,
      ).toBe("INVALID_PORT");
    }
  });
});

describe("TargetSpace", () => {
  it("has the exact size, bigint-safe beyond 2^53", () => {
    const all = TargetSpace.create({
      targets: ["0.0.0.0/0", "::/0"],
      ports: "1-65535",
      allowReserved: true,
    });
    expect(all.size).toBe(((1n << 32n) + (1n << 128n)) * 65535n);
    expect(all.isSmall).toBe(false);
  });

  it("subtracts inline excludes and reserved blocks, keeping loopback", () => {
    const s = TargetSpace.create({
      targets: ["127.0.0.0/30", "224.0.0.1", "10.0.0.0/29"],
      ports: "80",
      exclude: ["10.0.0.2-10.0.0.5 # comment", "127.0.0.3"],
    });
    expect(s.v4.ranges).toEqual([
      [0x0a000000, 0x0a000001],
      [0x0a000006, 0x0a000007],
      [0x7f000000, 0x7f000002],
    ]);
    expect(s.skippedReserved.map((b) => b.cidr)).toEqual(["224.0.0.0/4"]);
    expect(s.size).toBe(7n);
  });

  it("refuses when there is no target, only reserved targets, or everything is excluded", () => {
    expect(code(() => TargetSpace.create({ targets: [], ports: "80" }))).toBe("NO_TARGETS");
    expect(code(() => TargetSpace.create({ targets: ["  "], ports: "80" }))).toBe("NO_TARGETS");
    expect(code(() => TargetSpace.create({ targets: ["224.0.0.1", "ff02::1"], ports: "80" }))).toBe(
      "UNSAFE_TARGET",
    );
    expect(
      code(() =>
        TargetSpace.create({ targets: ["127.0.0.1"], ports: "80", exclude: ["127.0.0.0/8"] }),
      ),
    ).toBe("NO_TARGETS");
    expect(
      TargetSpace.create({ targets: ["224.0.0.1"], ports: "80", allowReserved: true }).size,
    ).toBe(1n);
  });

  it("says how many addresses a refused reserved request covers", () => {
    let error: unknown;
    try {
      TargetSpace.create({ targets: ["224.0.0.0/24", "ff02::1"], ports: "80" });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "UNSAFE_TARGET", addressCount: 257n });
    expect((error as Error).message).toContain("the request covers 257 addresses, all reserved");
  });

  it("maps every index to a distinct (address, port) pair", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 9 }),
        (ports, hosts) => {
          const s = TargetSpace.create({
            targets: [`127.1.0.1-127.1.0.${hosts}`, "::1"],
            ports: ports.map(String),
          });
          const seen = new Set<string>();
          for (let i = 0n; i < s.size; i++) {
            const at = s.at(i);
            seen.add(`${at.address}:${at.port}`);
            if (at.version === 4) {
              const a = s.addressIndexAt(Number(i));
              expect(s.isV4Index(a)).toBe(true);
              expect(s.portAt(Number(i))).toBe(at.port);
            }
          }
          expect(seen.size).toBe(Number(s.size));
          expect(s.size).toBe(BigInt((hosts + 1) * ports.length));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("prints ranges as masscan does", () => {
    const s = TargetSpace.create({
      targets: ["10.0.0.0/8", "127.0.0.5-127.0.0.7"],
      ports: "22,80-81",
    });
    expect(s.rangesText()).toEqual(["10.0.0.0/8", "127.0.0.5-127.0.0.7"]);
    expect(s.portRangesText()).toBe("22-22,80-81");
  });
});
