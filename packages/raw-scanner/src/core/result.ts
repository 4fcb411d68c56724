/** What a probe found: `open` (SYN-ACK / connect succeeded), `closed` (RST), `filtered` (no answer). */
export type PortStatus = "open" | "closed" | "filtered";

/** Certificate facts read from a TLS handshake. */
export interface TlsInfo {
  /** Negotiated protocol, e.g. `TLSv1.3`. */
  protocol: string;
  /** Negotiated cipher suite name. */
  cipher: string;
  /** Subject as `CN=…, O=…`. */
  subject: string;
  /** Issuer as `CN=…, O=…`. */
  issuer: string;
  /** Subject alternative names, e.g. `["DNS:localhost", "IP Address:127.0.0.1"]`. */
  subjectAltNames: string[];
  /** Certificate validity start. */
  validFrom: Date;
  /** Certificate expiry. */
  validTo: Date;
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
}

/** A banner grabbed after an open port. */
export interface Banner {
  /** masscan's service name: `ssh`, `smtp`, `ftp`, `http`, `ssl`, `unknown`… */
  service: string;
  /** The raw banner text (bytes as latin1; masscan-style escaping happens only in writers). */
  text: string;
  /** When the banner was recorded. */
  time: Date;
  /** For TLS services: the handshake and certificate. */
  tls?: TlsInfo;
}

/** One probed (address, port) and what came back. */
export interface ScanResult {
  /** When the status was determined. */
  time: Date;
  /** IPv4 dotted quad or IPv6 text. */
  address: string;
  port: number;
  protocol: "tcp";
  status: PortStatus;
  /**
   * Why, in masscan's/nmap's vocabulary of TCP flags: `syn-ack` (open), `rst-ack` (closed),
   * `no-response` (filtered), `host-unreach`/`net-unreach` (filtered by an ICMP error).
   */
  reason: string;
  /**
   * IP TTL of the reply; `0` when the backend cannot see it (the connect backend never can:
   * the kernel consumes the SYN-ACK).
   */
  ttl: number;
  /** Set when banners were asked for and the service spoke. */
  banner?: Banner;
}
