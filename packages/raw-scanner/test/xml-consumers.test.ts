import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createWriter, recordsOf, type ScanResult } from "../src/index.js";
import { missingTool } from "./helpers/tools.js";

/**
 * Tools that read nmap XML (python-libnmap, nmap-parse-output, Metasploit's db_import…) walk
 * nmaprun/host/address + ports/port/state/service with a standard XML parser. Python's
 * ElementTree stands in for them: if it parses our -oX output into the right hosts, so do they.
 */
/** python3 is in .ci/apt-packages: missing in CI is a failure, elsewhere a skip with the reason. */
const noPython = missingTool("python3", ["-c", "import xml.etree.ElementTree"]);
/** xsltproc applies nmap's own stylesheet (nmap.xsl, shipped with nmap) as nmap users do. */
const noXslt = missingTool("xsltproc", ["--version"]) || missingTool("nmap", ["--version"]);

const READER = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
out = []
for host in root.iter("host"):
    addr = host.find("address")
    for port in host.iter("port"):
        state = port.find("state")
        service = port.find("service")
        out.append({
            "addr": addr.get("addr"), "addrtype": addr.get("addrtype"),
            "port": int(port.get("portid")), "proto": port.get("protocol"),
            "state": state.get("state"), "reason": state.get("reason"),
            "service": service.get("name") if service is not None else None,
            "banner": service.get("banner") if service is not None else None,
        })
print(json.dumps({"scanner": root.get("scanner"), "version": root.get("version"),
                  "scantype": root.find("scaninfo").get("type"), "hosts": out}))
`;

function sampleXml(): string {
  const t = new Date(1_800_000_000_000);
  const results: ScanResult[] = [
    {
      time: t,
      address: "127.0.0.1",
      port: 22,
      protocol: "tcp",
      status: "open",
      reason: "syn-ack",
      ttl: 64,
      banner: { service: "ssh", text: "SSH-2.0-x <&>\"'\r\n", time: t },
    },
    {
      time: t,
      address: "::1",
      port: 8080,
      protocol: "tcp",
      status: "closed",
      reason: "rst-ack",
      ttl: 0,
    },
  ];
  const w = createWriter("xml");
  let xml = w.begin({ startTime: t }) as string;
  for (const r of results)
    for (const rec of recordsOf(r))
      xml += (rec.kind === "status" ? w.status(rec) : w.banner(rec)) as string;
  return xml + (w.end({ startTime: t, endTime: t }) as string);
}

const version = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8"))
  .version as string;

describe("XML output in nmap's tools", { tags: ["peer"] }, () => {
  it.skipIf(noXslt)("renders with nmap's own stylesheet (nmap.xsl)", () => {
    const dir = mkdtempSync(join(tmpdir(), "raw-scan-xsl-"));
    try {
      writeFileSync(join(dir, "scan.xml"), sampleXml());
      const html = execFileSync("xsltproc", [
        "/usr/share/nmap/nmap.xsl",
        join(dir, "scan.xml"),
      ]).toString();
      // The stylesheet prints "Nmap <version>" whatever the scanner; the rows are ours.
      expect(html).toContain(`${version} was initiated`);
      expect(html).toMatch(/<td>22<\/td>\s*<td>tcp<\/td>\s*<td>open<\/td>/);
      expect(html).toMatch(/<td>8080<\/td>\s*<td>tcp<\/td>\s*<td>closed<\/td>/);
      expect(html).toContain("::1");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(noPython)("XML output read by a standard XML parser, as nmap-XML tools do", () => {
  it("yields the hosts, ports, states and banners", () => {
    const xml = sampleXml();
    const parsed = JSON.parse(execFileSync("python3", ["-c", READER], { input: xml }).toString());
    expect(parsed.scanner).toBe("raw-scan");
    expect(parsed.version).toBe(version);
    expect(parsed.scantype).toBe("connect");
    expect(parsed.hosts).toEqual([
      {
        addr: "127.0.0.1",
        addrtype: "ipv4",
        port: 22,
        proto: "tcp",
        state: "open",
        reason: "syn-ack",
        service: null,
        banner: null,
      },
      {
        addr: "127.0.0.1",
        addrtype: "ipv4",
        port: 22,
        proto: "tcp",
        state: "open",
        reason: "response",
        service: "ssh",
        banner: "SSH-2.0-x \\x3c\\x26\\x3e\\x22\\x27\\x0d\\x0a",
      },
      {
        addr: "::1",
        addrtype: "ipv6",
        port: 8080,
        proto: "tcp",
        state: "closed",
        reason: "rst-ack",
        service: null,
        banner: null,
      },
    ]);
  });
});
