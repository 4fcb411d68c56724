import { RawScannerError } from "../../errors.js";
import { VERSION } from "../../version.js";
import type { ScanResult } from "../result.js";
import { escapeBanner } from "./escape.js";
import {
  appProtocolNumber,
  type BannerRecord,
  flagsFromReason,
  type OutputFormat,
  type OutputMeta,
  type StatusRecord,
} from "./records.js";
import { tcpServiceName } from "./services.js";

/** A chunk of output: text for text formats, bytes for the binary format. */
export type OutputChunk = string | Uint8Array;

/**
 * Writes one masscan output format. Writers are stateful (JSON needs to know whether a record
 * came before) and pure: they return the bytes, an adapter puts them somewhere.
 */
export interface OutputWriter {
  readonly format: OutputFormat;
  begin(meta: OutputMeta): OutputChunk;
  status(record: StatusRecord): OutputChunk;
  banner(record: BannerRecord): OutputChunk;
  end(meta: OutputMeta): OutputChunk;
}

const secs = (d: Date) => Math.floor(d.getTime() / 1000);

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const p2 = (n: number) => String(n).padStart(2, "0");

/** C's `strftime("%c")` in the C locale, in UTC: `Thu Nov 26 04:17:06 2026`. */
export function cTime(d: Date): string {
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ` +
    `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

function isoish(d: Date): string {
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

class JsonWriter implements OutputWriter {
  readonly format = "json";
  private first = true;
  private sep(): string {
    if (this.first) {
      this.first = false;
      return "";
    }
    return ",\n";
  }
  begin(): string {
    return "[\n";
  }
  status(r: StatusRecord): string {
    return (
      `${this.sep()}{   "ip": "${r.address}",   "timestamp": "${secs(r.time)}", "ports": [ ` +
      `{"port": ${r.port}, "proto": "${r.protocol}", "status": "${r.status}", "reason": "${r.reason}", "ttl": ${r.ttl}} ] }\n`
    );
  }
  banner(r: BannerRecord): string {
    return (
      `${this.sep()}{   "ip": "${r.address}",   "timestamp": "${secs(r.time)}", "ports": [ ` +
      `{"port": ${r.port}, "proto": "${r.protocol}", "service": {"name": "${r.service}", "banner": "${escapeBanner(r.banner, "u")}"} } ] }\n`
    );
  }
  end(): string {
    return "]\n";
  }
}

class NdjsonWriter implements OutputWriter {
  readonly format = "ndjson";
  begin(): string {
    return "";
  }
  status(r: StatusRecord): string {
    return (
      `{"ip":"${r.address}","timestamp":"${secs(r.time)}","port":${r.port},"proto":"${r.protocol}",` +
      `"rec_type":"status","data":{"status":"${r.status}","reason":"${r.reason}","ttl":${r.ttl}}}\n`
    );
  }
  banner(r: BannerRecord): string {
    return (
      `{"ip":"${r.address}","timestamp":"${secs(r.time)}","port":${r.port},"proto":"${r.protocol}",` +
      `"rec_type":"banner","data":{"service_name":"${r.service}","banner":"${escapeBanner(r.banner, "u")}"}}\n`
    );
  }
  end(): string {
    return "";
  }
}

class ListWriter implements OutputWriter {
  readonly format = "list";
  begin(): string {
    return "#masscan\n";
  }
  status(r: StatusRecord): string {
    return `${r.status} ${r.protocol} ${r.port} ${r.address} ${secs(r.time)}\n`;
  }
  banner(r: BannerRecord): string {
    return `banner ${r.protocol} ${r.port} ${r.address} ${secs(r.time)} ${r.service} ${escapeBanner(r.banner, "x")}\n`;
  }
  end(): string {
    return "# end\n";
  }
}

class GrepableWriter implements OutputWriter {
  readonly format = "grepable";
  begin(meta: OutputMeta): string {
    const ports = meta.ports ?? [];
    const count = ports.reduce((n, [b, e]) => n + e - b + 1, 0);
    const list = ports.map(([b, e]) => `${b}-${e}`).join(",");
    return (
      `# Masscan 1.3.2 scan initiated ${cTime(meta.startTime)}\n` +
      `# Ports scanned: TCP(${count};${list}) UDP(0;) SCTP(0;) PROTOCOLS(0;)\n`
    );
  }
  status(r: StatusRecord): string {
    return `Timestamp: ${secs(r.time)}\tHost: ${r.address} ()\tPorts: ${r.port}/${r.status}/${r.protocol}//${tcpServiceName(r.port)}//\n`;
  }
  banner(r: BannerRecord): string {
    return `Host: ${r.address} ()\tPort: ${r.port}\tService: ${r.service}\tBanner: ${escapeBanner(r.banner, "x")}\n`;
  }
  end(meta: OutputMeta): string {
    return `# Masscan done at ${cTime(meta.endTime ?? new Date())}\n`;
  }
}

class XmlWriter implements OutputWriter {
  readonly format = "xml";
  private up = 0;
  private down = 0;
  begin(meta: OutputMeta): string {
    const s = meta.scanner ?? { name: "raw-scan", version: VERSION, scanType: "connect" };
    // masscan's layout (its comment, the double space) so readers that match it keep working.
    return (
      `<?xml version="1.0"?>\r\n<!-- ${escapeAttr(s.name)} v${escapeAttr(s.name === "masscan" ? "1.0" : s.version)} scan -->\r\n` +
      `<nmaprun scanner="${escapeAttr(s.name)}" start="${secs(meta.startTime)}" version="${escapeAttr(s.version)}"  xmloutputversion="1.03">\r\n` +
      `<scaninfo type="${s.scanType}" protocol="tcp" />\r\n`
    );
  }
  status(r: StatusRecord): string {
    if (r.status === "open") this.up++;
    else if (r.status === "closed") this.down++;
    return (
      `<host endtime="${secs(r.time)}"><address addr="${r.address}" addrtype="${addrType(r.address)}"/>` +
      `<ports><port protocol="${r.protocol}" portid="${r.port}"><state state="${r.status}" reason="${r.reason}" reason_ttl="${r.ttl}"/></port></ports></host>\r\n`
    );
  }
  banner(r: BannerRecord): string {
    // masscan compares the application protocol number with 6 here; kept for identical output.
    const reason = appProtocolNumber(r.service) === 6 ? "syn-ack" : "response";
    return (
      `<host endtime="${secs(r.time)}"><address addr="${r.address}" addrtype="${addrType(r.address)}"/>` +
      `<ports><port protocol="${r.protocol}" portid="${r.port}"><state state="open" reason="${reason}" reason_ttl="${r.ttl}" />` +
      `<service name="${r.service}" banner="${escapeBanner(r.banner, "x")}"></service></port></ports></host>\r\n`
    );
  }
  end(meta: OutputMeta): string {
    const now = meta.endTime ?? new Date();
    return (
      "<runstats>\r\n" +
      `<finished time="${secs(now)}" timestr="${isoish(now)}" elapsed="${secs(now) - secs(meta.startTime)}" />\r\n` +
      `<hosts up="${this.up}" down="${this.down}" total="${this.up + this.down}" />\r\n` +
      "</runstats>\r\n</nmaprun>\r\n"
    );
  }
}

function escapeAttr(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function addrType(address: string): string {
  // masscan writes "ipv4" even for IPv6; nmap readers need the truth, so IPv6 says ipv6.
  return address.includes(":") ? "ipv6" : "ipv4";
}

const BINARY_HEADER_SIZE = 99; // masscan writes 2 + 'a' bytes: type 'm', length 'a', 97 bytes

class BinaryWriter implements OutputWriter {
  readonly format = "binary";
  begin(meta: OutputMeta): Uint8Array {
    const buf = new Uint8Array(BINARY_HEADER_SIZE);
    buf.set(Buffer.from(`masscan/1.1\ns:${secs(meta.startTime)}\n`, "latin1"));
    return buf;
  }
  status(r: StatusRecord): Uint8Array {
    // masscan's binary format has open and closed records only; filtered is not representable.
    if (r.status === "filtered") return new Uint8Array(0);
    const flags = flagsFromReason(r.reason) ?? 0;
    const v6 = r.address.includes(":");
    const buf = Buffer.alloc(v6 ? 28 : 15);
    if (v6) {
      buf[0] = r.status === "open" ? 10 : 11;
      buf[1] = 26;
      buf.writeUInt32BE(secs(r.time) >>> 0, 2);
      buf[6] = 6;
      buf.writeUInt16BE(r.port, 7);
      buf[9] = flags;
      buf[10] = r.ttl;
      buf[11] = 6;
      writeV6(buf, 12, r.address);
    } else {
      buf[0] = r.status === "open" ? 6 : 7;
      buf[1] = 13;
      buf.writeUInt32BE(secs(r.time) >>> 0, 2);
      buf.writeUInt32BE(v4Number(r.address), 6);
      buf[10] = 6;
      buf.writeUInt16BE(r.port, 11);
      buf[13] = flags;
      buf[14] = r.ttl;
    }
    return buf;
  }
  banner(r: BannerRecord): Uint8Array {
    const v6 = r.address.includes(":");
    const body = Buffer.from(r.banner, "latin1");
    const headerLength = v6 ? 27 : 14;
    const total = body.length + headerLength;
    if (total >= 128 * 128) {
      throw new RawScannerError(
        "OUTPUT_WRITE",
        `banner of ${body.length} bytes is too long for masscan's binary format (max ${128 * 128 - 1 - headerLength})`,
      );
    }
    const lenBytes = total < 128 ? [total] : [(total >> 7) | 0x80, total & 0x7f];
    const buf = Buffer.alloc(1 + lenBytes.length + total);
    buf[0] = v6 ? 13 : 9;
    let i = 1;
    for (const b of lenBytes) buf[i++] = b;
    buf.writeUInt32BE(secs(r.time) >>> 0, i);
    if (v6) {
      buf[i + 4] = 6;
      buf.writeUInt16BE(r.port, i + 5);
      buf.writeUInt16BE(appProtocolNumber(r.service), i + 7);
      buf[i + 9] = r.ttl;
      buf[i + 10] = 6;
      writeV6(buf, i + 11, r.address);
    } else {
      buf.writeUInt32BE(v4Number(r.address), i + 4);
      buf[i + 8] = 6;
      buf.writeUInt16BE(r.port, i + 9);
      buf.writeUInt16BE(appProtocolNumber(r.service), i + 11);
      buf[i + 13] = r.ttl;
    }
    body.copy(buf, i + headerLength);
    return buf;
  }
  end(): Uint8Array {
    const buf = new Uint8Array(BINARY_HEADER_SIZE);
    buf.set(Buffer.from("masscan/1.1", "latin1"));
    return buf;
  }
}

function v4Number(address: string): number {
  const parts = address.split(".").map(Number);
  return (
    (((parts[0] ?? 0) << 24) |
      ((parts[1] ?? 0) << 16) |
      ((parts[2] ?? 0) << 8) |
      (parts[3] ?? 0)) >>>
    0
  );
}

function writeV6(buf: Buffer, offset: number, address: string): void {
  // Expand with the URL parser's canonical form, then write 8 words.
  const full = expandV6(address);
  for (let w = 0; w < 8; w++) buf.writeUInt16BE(full[w] ?? 0, offset + w * 2);
}

function expandV6(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const h = head === "" ? [] : head.split(":").map((x) => Number.parseInt(x, 16));
  const t =
    tail === undefined || tail === "" ? [] : tail.split(":").map((x) => Number.parseInt(x, 16));
  return tail === undefined
    ? h
    : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** A fresh writer for one output file. */
export function createWriter(format: OutputFormat): OutputWriter {
  switch (format) {
    case "json":
      return new JsonWriter();
    case "ndjson":
      return new NdjsonWriter();
    case "list":
      return new ListWriter();
    case "grepable":
      return new GrepableWriter();
    case "xml":
      return new XmlWriter();
    case "binary":
      return new BinaryWriter();
    default:
      throw new RawScannerError("INVALID_ARGUMENT", `unknown output format "${String(format)}"`);
  }
}

/** The records a scan result becomes: its status, then its banner if it has one. */
export function recordsOf(result: ScanResult): Array<StatusRecord | BannerRecord> {
  const status: StatusRecord = {
    kind: "status",
    time: result.time,
    address: result.address,
    port: result.port,
    protocol: result.protocol,
    status: result.status,
    reason: result.reason,
    ttl: result.ttl,
  };
  if (!result.banner) return [status];
  const banner: BannerRecord = {
    kind: "banner",
    time: result.banner.time,
    address: result.address,
    port: result.port,
    protocol: result.protocol,
    service: result.banner.service,
    banner: result.banner.text,
    ttl: result.ttl,
  };
  if (result.banner.tls) banner.tls = result.banner.tls;
  return [status, banner];
}
