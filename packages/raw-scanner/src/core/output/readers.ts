import { RawScannerError } from "../../errors.js";
import { formatIpv4, formatIpv6 } from "../ip.js";
import type { PortStatus, ScanResult } from "../result.js";
import { unescapeBanner } from "./escape.js";
import {
  appProtocolName,
  type BannerRecord,
  type OutputFormat,
  reasonFromFlags,
  type ScanRecord,
  type StatusRecord,
} from "./records.js";

const parseError = (format: string, line: number, why: string, cause?: unknown) =>
  new RawScannerError("OUTPUT_PARSE", `${format} scan file, line/record ${line}: ${why}`, {
    line,
    cause,
  });

/** Guesses the format of a scan file from its first bytes. */
export function detectFormat(data: Uint8Array): OutputFormat {
  const head = Buffer.from(data.subarray(0, 64)).toString("latin1");
  if (head.startsWith("masscan/1.1")) return "binary";
  const text = head.trimStart();
  if (text.startsWith("<?xml") || text.startsWith("<nmaprun")) return "xml";
  if (text.startsWith("#masscan")) return "list";
  if (text.startsWith("# Masscan")) return "grepable";
  if (text.startsWith("[")) return "json";
  // An empty NDJSON file is a scan that found nothing.
  if (text.startsWith("{") || data.length === 0 || text === "") return "ndjson";
  throw new RawScannerError(
    "OUTPUT_PARSE",
    "not a masscan scan file: expected JSON, NDJSON, list, grepable, XML or binary output",
  );
}

const fromSecs = (s: string | number, format: string, line: number): Date => {
  const n = typeof s === "number" ? s : Number(s);
  if (!Number.isInteger(n) || n < 0) throw parseError(format, line, `bad timestamp "${s}"`);
  return new Date(n * 1000);
};

const asStatus = (s: string, format: string, line: number): PortStatus => {
  if (s === "open" || s === "closed" || s === "filtered") return s;
  throw parseError(format, line, `unknown port status "${s}"`);
};

const asPort = (s: string | number, format: string, line: number): number => {
  const n = typeof s === "number" ? s : Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw parseError(format, line, `bad port "${s}"`);
  return n;
};

const asProto = (s: string, format: string, line: number): "tcp" => {
  if (s === "tcp") return s;
  throw parseError(format, line, `protocol "${s}" is not supported (TCP only)`);
};

/** Reads any masscan output (auto-detected unless `format` is given) into records. */
export function readScan(data: Uint8Array | string, format?: OutputFormat): ScanRecord[] {
  const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  const f = format ?? detectFormat(bytes);
  if (f === "binary") return readBinary(bytes);
  const text = Buffer.from(bytes).toString("latin1");
  switch (f) {
    case "json":
      return readJson(text);
    case "ndjson":
      return readNdjson(text);
    case "list":
      return readList(text);
    case "grepable":
      return readGrepable(text);
    case "xml":
      return readXml(text);
    default:
      throw new RawScannerError("INVALID_ARGUMENT", `unknown output format "${String(f)}"`);
  }
}

type Json = Record<string, unknown>;

function jsonRecord(obj: Json, line: number, format: string): ScanRecord {
  const ports = obj.ports;
  if (typeof obj.ip !== "string" || !Array.isArray(ports) || ports.length !== 1) {
    throw parseError(format, line, "record lacks ip or a one-element ports array");
  }
  const p = ports[0] as Json;
  const time = fromSecs(obj.timestamp as string, format, line);
  const base = {
    time,
    address: obj.ip,
    port: asPort(p.port as number, format, line),
    protocol: asProto(String(p.proto), format, line),
  };
  if (p.service && typeof p.service === "object") {
    const s = p.service as Json;
    return {
      kind: "banner",
      ...base,
      service: String(s.name),
      banner: latin1(String(s.banner)),
      ttl: 0,
    };
  }
  return {
    kind: "status",
    ...base,
    status: asStatus(String(p.status), format, line),
    reason: String(p.reason),
    ttl: Number(p.ttl ?? 0),
  };
}

// JSON.parse turns \u00NN into the code unit NN: exactly the latin1 view of the banner bytes.
const latin1 = (s: string) => s;

function readJson(text: string): ScanRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw parseError(
      "json",
      1,
      "invalid JSON (a masscan -oJ file must be complete; was the scan interrupted?)",
      cause,
    );
  }
  if (!Array.isArray(parsed)) throw parseError("json", 1, "top level is not an array");
  return parsed.map((obj, i) => jsonRecord(obj as Json, i + 1, "json"));
}

function readNdjson(text: string): ScanRecord[] {
  const out: ScanRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let obj: Json;
    try {
      obj = JSON.parse(line) as Json;
    } catch (cause) {
      throw parseError("ndjson", i + 1, "invalid JSON", cause);
    }
    const data = obj.data as Json | undefined;
    if (typeof obj.ip !== "string" || !data)
      throw parseError("ndjson", i + 1, "record lacks ip or data");
    const base = {
      time: fromSecs(obj.timestamp as string, "ndjson", i + 1),
      address: obj.ip,
      port: asPort(obj.port as number, "ndjson", i + 1),
      protocol: asProto(String(obj.proto), "ndjson", i + 1),
    };
    if (obj.rec_type === "banner") {
      out.push({
        kind: "banner",
        ...base,
        service: String(data.service_name),
        banner: String(data.banner),
        ttl: 0,
      });
    } else if (obj.rec_type === "status") {
      out.push({
        kind: "status",
        ...base,
        status: asStatus(String(data.status), "ndjson", i + 1),
        reason: String(data.reason),
        ttl: Number(data.ttl ?? 0),
      });
    } else throw parseError("ndjson", i + 1, `unknown rec_type "${String(obj.rec_type)}"`);
  });
  return out;
}

/**
 * The reason a TCP status implies, for formats without a reason field (grepable, list): masscan
 * and the connect backend only ever report open from a SYN-ACK and closed from a RST-ACK.
 */
const IMPLIED_REASON: Record<PortStatus, string> = {
  open: "syn-ack",
  closed: "rst-ack",
  filtered: "no-response",
};

function readList(text: string): ScanRecord[] {
  const out: ScanRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const parts = line.split(" ");
    const [what, proto = "", port = "", address = "", ts = ""] = parts;
    if (parts.length < 5) throw parseError("list", i + 1, `too few fields in "${line}"`);
    const base = {
      time: fromSecs(ts, "list", i + 1),
      address,
      port: asPort(port, "list", i + 1),
      protocol: asProto(proto, "list", i + 1),
    };
    if (what === "banner") {
      const service = parts[5] ?? "unknown";
      const banner = unescapeBanner(parts.slice(6).join(" "));
      out.push({ kind: "banner", ...base, service, banner, ttl: 0 });
    } else {
      const status = asStatus(what ?? "", "list", i + 1);
      out.push({ kind: "status", ...base, status, reason: IMPLIED_REASON[status], ttl: 0 });
    }
  });
  return out;
}

function readGrepable(text: string): ScanRecord[] {
  const out: ScanRecord[] = [];
  // Banner lines carry no timestamp in masscan's grepable layout: they take the time of their
  // port's status line, else of the status line before them.
  const statusTime = new Map<string, Date>();
  let lastTime = new Date(0);
  text.split("\n").forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const fields = new Map<string, string>();
    for (const f of line.split("\t")) {
      const colon = f.indexOf(": ");
      if (colon > 0) fields.set(f.slice(0, colon), f.slice(colon + 2));
    }
    const host = fields.get("Host")?.replace(/ \(.*\)$/, "");
    if (!host) throw parseError("grepable", i + 1, `no Host field in "${line}"`);
    const ports = fields.get("Ports");
    if (ports !== undefined) {
      const [port = "", status = "", proto = ""] = ports.split("/");
      const time = fromSecs(fields.get("Timestamp") ?? "", "grepable", i + 1);
      const portNumber = asPort(port, "grepable", i + 1);
      const portStatus = asStatus(status, "grepable", i + 1);
      statusTime.set(`${host}|${portNumber}`, time);
      lastTime = time;
      out.push({
        kind: "status",
        time,
        address: host,
        port: portNumber,
        protocol: asProto(proto, "grepable", i + 1),
        status: portStatus,
        reason: IMPLIED_REASON[portStatus],
        ttl: 0,
      });
      return;
    }
    const port = fields.get("Port");
    if (port === undefined)
      throw parseError("grepable", i + 1, `neither Ports nor Port in "${line}"`);
    const bannerPort = asPort(port, "grepable", i + 1);
    out.push({
      kind: "banner",
      time: statusTime.get(`${host}|${bannerPort}`) ?? lastTime,
      address: host,
      port: bannerPort,
      protocol: "tcp",
      service: fields.get("Service") ?? "unknown",
      banner: unescapeBanner(fields.get("Banner") ?? ""),
      ttl: 0,
    });
  });
  return out;
}

const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? m[1] : undefined;
};

const xmlText = (s: string) =>
  s.replace(
    /&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g,
    (_, name: string, dec?: string, hex?: string) => {
      if (dec) return String.fromCharCode(Number(dec));
      if (hex) return String.fromCharCode(Number.parseInt(hex, 16));
      return (
        ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" } as Record<string, string>)[name] ?? ""
      );
    },
  );

function readXml(text: string): ScanRecord[] {
  if (!text.includes("<nmaprun")) throw parseError("xml", 1, "no <nmaprun> element");
  const out: ScanRecord[] = [];
  const hostRe = /<host\b([^>]*)>([\s\S]*?)<\/host>/g;
  let n = 0;
  for (let m = hostRe.exec(text); m; m = hostRe.exec(text)) {
    n++;
    const hostAttrs = m[1] ?? "";
    const body = m[2] ?? "";
    const address = attr(/<address\b[^>]*>/.exec(body)?.[0] ?? "", "addr");
    const portTag = /<port\b[^>]*>/.exec(body)?.[0];
    const stateTag = /<state\b[^>]*>/.exec(body)?.[0];
    if (!address || !portTag || !stateTag)
      throw parseError("xml", n, "host lacks address, port or state");
    const time = fromSecs(attr(hostAttrs, "endtime") ?? "", "xml", n);
    const port = asPort(attr(portTag, "portid") ?? "", "xml", n);
    const protocol = asProto(attr(portTag, "protocol") ?? "", "xml", n);
    const ttl = Number(attr(stateTag, "reason_ttl") ?? 0);
    const serviceTag = /<service\b[^>]*>/.exec(body)?.[0];
    const banner = serviceTag ? attr(serviceTag, "banner") : undefined;
    if (serviceTag && banner !== undefined) {
      out.push({
        kind: "banner",
        time,
        address,
        port,
        protocol,
        service: attr(serviceTag, "name") ?? "unknown",
        banner: unescapeBanner(xmlText(banner)),
        ttl,
      });
    } else {
      out.push({
        kind: "status",
        time,
        address,
        port,
        protocol,
        status: asStatus(attr(stateTag, "state") ?? "", "xml", n),
        reason: attr(stateTag, "reason") ?? "",
        ttl,
      });
    }
  }
  return out;
}

function readBinary(data: Uint8Array): ScanRecord[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: ScanRecord[] = [];
  let off = 0;
  let n = 0;
  const varint = (): number => {
    if (off >= buf.length) throw parseError("binary", n, "truncated record header");
    let b = buf[off++] as number;
    let v = b & 0x7f;
    while (b & 0x80) {
      if (off >= buf.length) throw parseError("binary", n, "truncated record header");
      b = buf[off++] as number;
      v = (v << 7) | (b & 0x7f);
    }
    return v;
  };
  while (off < buf.length) {
    n++;
    const type = varint();
    const length = varint();
    if (off + length > buf.length)
      throw parseError("binary", n, "truncated record (was the scan interrupted?)");
    const r = buf.subarray(off, off + length);
    off += length;
    const need = (k: number) => {
      if (r.length < k)
        throw parseError("binary", n, `record type ${type} is ${r.length} bytes, needs ${k}`);
    };
    switch (type) {
      case 0x6d: // 'm': file header/trailer "masscan/1.1..."
        break;
      case 6:
      case 7: {
        need(13);
        const rec: StatusRecord = {
          kind: "status",
          time: new Date(r.readUInt32BE(0) * 1000),
          address: formatIpv4(r.readUInt32BE(4)),
          port: r.readUInt16BE(9),
          protocol: asProto(r[8] === 6 ? "tcp" : String(r[8]), "binary", n),
          status: type === 6 ? "open" : "closed",
          reason: reasonFromFlags(r[11] as number),
          ttl: r[12] as number,
        };
        out.push(rec);
        break;
      }
      case 10:
      case 11: {
        need(26);
        const rec: StatusRecord = {
          kind: "status",
          time: new Date(r.readUInt32BE(0) * 1000),
          address: formatIpv6(r.readBigUInt64BE(10) * (1n << 64n) + r.readBigUInt64BE(18)),
          port: r.readUInt16BE(5),
          protocol: asProto(r[4] === 6 ? "tcp" : String(r[4]), "binary", n),
          status: type === 10 ? "open" : "closed",
          reason: reasonFromFlags(r[7] as number),
          ttl: r[8] as number,
        };
        out.push(rec);
        break;
      }
      case 9: {
        need(14);
        const rec: BannerRecord = {
          kind: "banner",
          time: new Date(r.readUInt32BE(0) * 1000),
          address: formatIpv4(r.readUInt32BE(4)),
          protocol: asProto(r[8] === 6 ? "tcp" : String(r[8]), "binary", n),
          port: r.readUInt16BE(9),
          service: appProtocolName(r.readUInt16BE(11)),
          ttl: r[13] as number,
          banner: r.subarray(14).toString("latin1"),
        };
        out.push(rec);
        break;
      }
      case 13: {
        need(27);
        const rec: BannerRecord = {
          kind: "banner",
          time: new Date(r.readUInt32BE(0) * 1000),
          address: formatIpv6(r.readBigUInt64BE(11) * (1n << 64n) + r.readBigUInt64BE(19)),
          protocol: asProto(r[4] === 6 ? "tcp" : String(r[4]), "binary", n),
          port: r.readUInt16BE(5),
          service: appProtocolName(r.readUInt16BE(7)),
          ttl: r[9] as number,
          banner: r.subarray(27).toString("latin1"),
        };
        out.push(rec);
        break;
      }
      default:
        throw parseError(
          "binary",
          n,
          `unknown record type ${type} (file corrupt or from a newer masscan)`,
        );
    }
  }
  return out;
}

/**
 * Joins status and banner records into one {@link ScanResult} per (address, port), in the
 * order the statuses appear. A banner without a status line still means the port was open.
 */
export function mergeRecords(records: readonly ScanRecord[]): ScanResult[] {
  const byKey = new Map<string, ScanResult>();
  for (const r of records) {
    const key = `${r.address}|${r.port}`;
    if (r.kind === "status") {
      const existing = byKey.get(key);
      const result: ScanResult = {
        time: r.time,
        address: r.address,
        port: r.port,
        protocol: r.protocol,
        status: r.status,
        reason: r.reason,
        ttl: r.ttl,
      };
      if (existing?.banner) result.banner = existing.banner;
      byKey.set(key, result);
    } else {
      let result = byKey.get(key);
      if (!result) {
        result = {
          time: r.time,
          address: r.address,
          port: r.port,
          protocol: r.protocol,
          status: "open",
          reason: "response",
          ttl: r.ttl,
        };
        byKey.set(key, result);
      }
      result.banner = { service: r.service, text: r.banner, time: r.time };
      if (r.tls) result.banner.tls = r.tls;
    }
  }
  return [...byKey.values()];
}
