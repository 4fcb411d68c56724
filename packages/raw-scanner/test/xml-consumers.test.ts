import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createWriter, recordsOf, type ScanResult } from "../src/index.js";

/**
 * Tools that read nmap XML (python-libnmap, nmap-parse-output, Metasploit's db_import…) walk
 * nmaprun/host/address + ports/port/state/service with a standard XML parser. Python's
 * ElementTree stands in for them: if it parses our -oX output into the right hosts, so do they.
 */
function python(): string | undefined {
  for (const cmd of ["python3", "python"]) {
    try {
      execFileSync(cmd, ["-c", "import xml.etree.ElementTree"], { stdio: "ignore" });
      return cmd;
    } catch {}
  }
  return undefined;
}

const py = python();

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
print(json.dumps({"scanner": root.get("scanner"), "hosts": out}))
`;

describe.skipIf(py === undefined)(
  "XML output read by a standard XML parser, as nmap-XML tools do",
  () => {
    it("yields the hosts, ports, states and banners", () => {
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
      xml += w.end({ startTime: t, endTime: t }) as string;
      const parsed = JSON.parse(
        execFileSync(py as string, ["-c", READER], { input: xml }).toString(),
      );
      expect(parsed.scanner).toBe("masscan");
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
  },
);
