import type { SourcePortRange } from "./cookies.js";

/** The ports the OS hands out to outgoing connections. */
export interface EphemeralRange {
  first: number;
  last: number;
}

/** Firewall rules that make the OS drop replies to the scanner's source ports. */
export interface FirewallRules {
  /** Linux iptables. */
  iptables: string;
  /** Linux nftables. */
  nft: string;
  /** macOS/BSD pf (a line for /etc/pf.conf, then `pfctl -f /etc/pf.conf`). */
  pf: string;
}

/** Whether two inclusive ranges share a port. */
export function overlaps(a: SourcePortRange, b: EphemeralRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * Rules that stop the OS from answering the raw scanner's SYN-ACKs with RSTs: the kernel has
 * no socket for those ports, so without a drop rule it resets every connection the scanner
 * is about to read a banner from.
 */
export function firewallRules(range: SourcePortRange): FirewallRules {
  const { first, last } = range;
  const span = first === last ? `${first}` : `${first}:${last}`;
  return {
    iptables: `iptables -A INPUT -p tcp --dport ${span} -j DROP`,
    nft: `nft add rule inet filter input tcp dport ${first === last ? first : `${first}-${last}`} drop`,
    pf: `block in quick proto tcp from any to any port ${span}`,
  };
}

/** A warning when the scanner's source ports collide with the OS's ephemeral range, else undefined. */
export function overlapWarning(
  range: SourcePortRange,
  ephemeral: EphemeralRange,
): string | undefined {
  if (!overlaps(range, ephemeral)) return undefined;
  const rules = firewallRules(range);
  return (
    `source-port ${range.first}-${range.last} overlaps the OS ephemeral range ` +
    `${ephemeral.first}-${ephemeral.last}: the OS may pick those ports for its own connections, ` +
    "and will reset the scanner's connections unless a firewall rule drops them:\n" +
    `  Linux (iptables): ${rules.iptables}\n  Linux (nftables): ${rules.nft}\n  macOS (pf):       ${rules.pf}`
  );
}

/**
 * A power-of-two sized, aligned source-port range outside the ephemeral range: above it if
 * it fits, else below it (never under 1024). Shrinks the size until something fits.
 */
export function suggestSourcePorts(
  ephemeral: EphemeralRange,
  size = 1024,
): SourcePortRange | undefined {
  for (let s = 2 ** Math.floor(Math.log2(Math.max(1, Math.min(size, 32768)))); s >= 1; s /= 2) {
    const above = Math.ceil((ephemeral.last + 1) / s) * s;
    if (above + s - 1 <= 65535) return { first: above, last: above + s - 1 };
    const below = Math.floor((ephemeral.first - s) / s) * s;
    if (below >= 1024) return { first: below, last: below + s - 1 };
  }
  return undefined;
}
