import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cTime } from "../src/core/output/writers.js";
import {
  type BannerRecord,
  createWriter,
  detectFormat,
  mergeRecords,
  type OutputFormat,
  type OutputMeta,
  RawScannerError,
  readScan,
  recordsOf,
  type ScanRecord,
  type StatusRecord,
} from "../src/index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name));

/** Header/footer times as masscan wrote them, so our writer can reproduce the file exactly. */
function metaOf(file: Buffer, format: OutputFormat): OutputMeta {
  const text = file.toString("latin1");
  const utc = (s: string) => new Date(`${s.replace(/^\w+ /, "")} UTC`);
  const meta: OutputMeta = { startTime: new Date(0), endTime: new Date(0) };
  if (format === "grepable") {
    meta.startTime = utc(/scan initiated (.*)\n/.exec(text)?.[1] ?? "");
    meta.endTime = utc(/done at (.*)\n/.exec(text)?.[1] ?? "");
    meta.ports = [
      [22, 22],
      [25, 25],
      [80, 80],
      [443, 443],
      [8080, 8080],
    ];
  }
  if (format === "xml") {
    // masscan's own header, to reproduce its file: ours names raw-scan and a connect scan.
    meta.scanner = { name: "masscan", version: "1.0-BETA", scanType: "syn" };
    meta.startTime = new Date(Number(/start="(\d+)"/.exec(text)?.[1]) * 1000);
    meta.endTime = new Date(Number(/finished time="(\d+)"/.exec(text)?.[1]) * 1000);
  }
  if (format === "binary") meta.startTime = new Date(Number(/s:(\d+)/.exec(text)?.[1]) * 1000);
  return meta;
}

function write(format: OutputFormat, records: ScanRecord[], meta: OutputMeta): Buffer {
  const w = createWriter(format);
  const chunks = [
    w.begin(meta),
    ...records.map((r) => (r.kind === "status" ? w.status(r) : w.banner(r))),
    w.end(meta),
  ];
  return Buffer.concat(
    chunks.map((c) => (typeof c === "string" ? Buffer.from(c, "latin1") : Buffer.from(c))),
  );
}

describe("masscan output formats (golden files from masscan 1.3.2)", () => {
  it.each([
    ["scan.json", "json"],
    ["scan.ndjson", "ndjson"],
    ["scan.list", "list"],
    ["scan.grepable", "grepable"],
    ["scan.xml", "xml"],
    ["scan.bin", "binary"],
    ["readscan.json", "json"],
  ] as const)("reads %s and writes it back byte for byte", (name, format) => {
    const file = fixture(name);
    expect(detectFormat(file)).toBe(format);
    const records = readScan(file);
    expect(records.filter((r) => r.kind === "status").map((r) => r.port)).toEqual([
      22, 25, 8080, 80,
    ]);
    const banners = records.filter((r): r is BannerRecord => r.kind === "banner");
    expect(banners.map((b) => [b.port, b.service, b.banner])).toEqual([
      [25, "smtp", "220 mail.example.test ESMTP Postfix\n"],
      [22, "ssh", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"],
    ]);
    expect(records.every((r) => r.address === "10.98.0.2" && r.protocol === "tcp")).toBe(true);
    expect(write(format, records, metaOf(file, format)).toString("latin1")).toBe(
      file.toString("latin1"),
    );
  });

  it("reads reason and ttl where the format carries them", () => {
    for (const name of ["scan.json", "scan.ndjson", "scan.xml", "scan.bin"]) {
      const first = readScan(fixture(name))[0] as StatusRecord;
      expect([first.status, first.reason, first.ttl], name).toEqual(["open", "syn-ack", 64]);
    }
  });

  it("names our scanner, its version and the connect scan in XML headers", () => {
    const version = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8"),
    ).version;
    const head = createWriter("xml").begin({ startTime: new Date(1_800_000_000_000) });
    expect(head).toBe(
      '<?xml version="1.0"?>\r\n' +
        `<!-- raw-scan v${version} scan -->\r\n` +
        `<nmaprun scanner="raw-scan" start="1800000000" version="${version}"  xmloutputversion="1.03">\r\n` +
        '<scaninfo type="connect" protocol="tcp" />\r\n',
    );
  });

  it("keeps reason and timestamps when it reads grepable output (which has no reason field)", () => {
    const records = readScan(fixture("scan.grepable"));
    const status = records.filter((r): r is StatusRecord => r.kind === "status");
    expect(status.map((r) => r.reason)).toEqual(["syn-ack", "syn-ack", "syn-ack", "syn-ack"]);
    // masscan's grepable banner lines have no timestamp: each takes its port's status time.
    for (const b of records.filter((r) => r.kind === "banner")) {
      const s = status.find((r) => r.port === b.port);
      expect(b.time.getTime(), `banner on ${b.port}`).toBe(s?.time.getTime());
      expect(b.time.getTime()).toBeGreaterThan(0);
    }
    // Converted to JSON, the records keep those reasons and times.
    const json = readScan(write("json", records, { startTime: new Date(0) }));
    const key = (r: ScanRecord) =>
      `${r.kind} ${r.port} ${r.time.getTime()} ${r.kind === "status" ? r.reason : r.service}`;
    expect(json.map(key)).toEqual(records.map(key));
    expect(json.map(key)).toContain("status 22 1795666626000 syn-ack");
    expect(json.map(key)).toContain("banner 22 1795666626000 ssh");
  });

  it("reads the reason a list file implies (open: syn-ack, closed: rst-ack)", () => {
    const records = readScan(
      "#masscan\nopen tcp 22 127.0.0.1 1800000000\nclosed tcp 23 127.0.0.1 1800000000\n# end\n",
    ) as StatusRecord[];
    expect(records.map((r) => r.reason)).toEqual(["syn-ack", "rst-ack"]);
  });

  it("converts masscan's binary file to the same JSON masscan --readscan writes", () => {
    const records = readScan(fixture("scan.bin"));
    expect(write("json", records, { startTime: new Date(0) }).toString("latin1")).toBe(
      fixture("readscan.json").toString("latin1"),
    );
  });

  it("formats C's %c in UTC with a space-padded day", () => {
    expect(cTime(new Date(Date.UTC(2026, 10, 6, 4, 5, 6)))).toBe("Fri Nov  6 04:05:06 2026");
  });

  it("escapes banners the way masscan does", () => {
    const r: BannerRecord = {
      kind: "banner",
      time: new Date(0),
      address: "127.0.0.1",
      port: 80,
      protocol: "tcp",
      service: "http",
      banner: `HTTP/1.1 200 OK\r\n<a href='x'>"&\\</a>\u00e9`,
      ttl: 0,
    };
    expect(createWriter("list").banner(r)).toContain(
      "HTTP/1.1 200 OK\\x0d\\x0a\\x3ca href=\\x27x\\x27\\x3e\\x22\\x26\\x5c\\x3c/a\\x3e\\xe9",
    );
    expect(createWriter("json").banner(r)).toContain("200 OK\\u000d\\u000a\\u003ca");
    for (const f of ["json", "ndjson", "list", "xml", "binary"] as const) {
      const back = readScan(write(f, [r], { startTime: new Date(0) })) as BannerRecord[];
      expect(back[0]?.banner, f).toBe(r.banner);
    }
  });

  const record = fc.record({
    address: fc.oneof(
      fc.ipV4(),
      fc
        .ipV6()
        .map(
          (a) =>
            readScan(write("binary", [statusAt(a)], { startTime: new Date(0) }))[0]?.address ?? a,
        ),
    ),
    port: fc.integer({ min: 1, max: 65535 }),
    status: fc.constantFrom("open" as const, "closed" as const),
    secs: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    ttl: fc.integer({ min: 0, max: 255 }),
    banner: fc.option(
      fc.string({
        unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
        maxLength: 300,
      }),
    ),
  });

  function statusAt(address: string): StatusRecord {
    return {
      kind: "status",
      time: new Date(0),
      address,
      port: 1,
      protocol: "tcp",
      status: "open",
      reason: "syn-ack",
      ttl: 0,
    };
  }

  it("round-trips random results through every format", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (items) => {
        const records: ScanRecord[] = items.flatMap((i) =>
          recordsOf({
            time: new Date(i.secs * 1000),
            address: i.address,
            port: i.port,
            protocol: "tcp",
            status: i.status,
            reason: i.status === "open" ? "syn-ack" : "rst-ack",
            ttl: i.ttl,
            ...(i.banner === null
              ? {}
              : { banner: { service: "http", text: i.banner, time: new Date(i.secs * 1000) } }),
          }),
        );
        for (const format of ["json", "ndjson", "list", "grepable", "xml", "binary"] as const) {
          const back = readScan(
            write(format, records, { startTime: new Date(0), ports: [[1, 65535]] }),
          );
          expect(back.length, format).toBe(records.length);
          back.forEach((b, k) => {
            const r = records[k] as ScanRecord;
            expect([b.kind, b.address, b.port], format).toEqual([r.kind, r.address, r.port]);
            if (b.kind === "status" && r.kind === "status") {
              expect(b.status).toBe(r.status);
              expect(b.time.getTime()).toBe(r.time.getTime());
              // list and grepable carry no reason or TTL: the reader gives the implied reason, TTL 0.
              const implied = { open: "syn-ack", closed: "rst-ack", filtered: "no-response" };
              expect([b.reason, b.ttl], format).toEqual(
                format === "list" || format === "grepable"
                  ? [implied[r.status], 0]
                  : [r.reason, r.ttl],
              );
            }
            if (b.kind === "banner" && r.kind === "banner") {
              expect([b.service, b.banner], format).toEqual([r.service, r.banner]);
            }
          });
        }
      }),
      { numRuns: 60 },
    );
  });

  it("leaves filtered ports out of the binary format only", () => {
    const f: StatusRecord = { ...statusAt("127.0.0.1"), status: "filtered", reason: "no-response" };
    expect(readScan(write("binary", [f], { startTime: new Date(0) }))).toEqual([]);
    expect(
      (readScan(write("ndjson", [f], { startTime: new Date(0) }))[0] as StatusRecord).status,
    ).toBe("filtered");
  });

  it("refuses a banner too long for the binary format", () => {
    const r: BannerRecord = {
      kind: "banner",
      time: new Date(0),
      address: "127.0.0.1",
      port: 1,
      protocol: "tcp",
      service: "http",
      banner: "x".repeat(20000),
      ttl: 0,
    };
    expect(() => createWriter("binary").banner(r)).toThrow(/too long/);
  });

  it("merges status and banner records into one result per port", () => {
    const results = mergeRecords(readScan(fixture("scan.json")));
    expect(results.map((r) => [r.port, r.banner?.service])).toEqual([
      [22, "ssh"],
      [25, "smtp"],
      [8080, undefined],
      [80, undefined],
    ]);
  });
});

describe("reading broken scan files", () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ["unknown content", "hello world\n", /not a masscan scan file/],
    ["truncated JSON", '[\n{   "ip": "1.2.3.4", ', /invalid JSON/],
    ["JSON without ports", '[{"ip":"1.2.3.4","timestamp":"1"}]', /lacks ip/],
    [
      "NDJSON bad line",
      '{"ip":"1.2.3.4","timestamp":"1","port":1,"proto":"tcp","rec_type":"status","data":{"status":"open","reason":"syn-ack","ttl":1}}\n{oops\n',
      /line\/record 2: invalid JSON/,
    ],
    [
      "NDJSON bad type",
      '{"ip":"1.2.3.4","timestamp":"1","port":1,"proto":"tcp","rec_type":"x","data":{}}\n',
      /unknown rec_type/,
    ],
    ["list bad port", "#masscan\nopen tcp 99999 1.2.3.4 1\n", /bad port/],
    ["list udp", "#masscan\nopen udp 53 1.2.3.4 1\n", /TCP only/],
    ["list short", "#masscan\nopen tcp 80\n", /too few fields/],
    ["list bad status", "#masscan\nweird tcp 80 1.2.3.4 1\n", /unknown port status/],
    ["grepable no host", "# Masscan\nTimestamp: 1\tPorts: 80/open/tcp////\n", /no Host/],
    ["xml no nmaprun", '<?xml version="1.0"?>\n<foo/>', /no <nmaprun>/],
    [
      "xml host without port",
      '<?xml version="1.0"?><nmaprun><host endtime="1"><address addr="1.2.3.4"/></host></nmaprun>',
      /lacks address, port or state/,
    ],
    [
      "binary truncated",
      Buffer.concat([fixture("scan.bin").subarray(0, 99), Buffer.from([6, 13, 1, 2])]),
      /truncated record/,
    ],
    [
      "binary unknown type",
      Buffer.concat([fixture("scan.bin").subarray(0, 99), Buffer.from([42, 1, 0])]),
      /unknown record type 42/,
    ],
    [
      "binary short record",
      Buffer.concat([fixture("scan.bin").subarray(0, 99), Buffer.from([6, 2, 0, 0])]),
      /needs 13/,
    ],
  ];
  it.each(cases)("%s → OUTPUT_PARSE", (_name, data, message) => {
    let err: unknown;
    try {
      readScan(typeof data === "string" ? Buffer.from(data) : data);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RawScannerError);
    expect((err as RawScannerError).code).toBe("OUTPUT_PARSE");
    expect((err as Error).message).toMatch(message);
  });
});
