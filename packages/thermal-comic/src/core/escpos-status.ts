// Real-time status (DLE EOT n) as the Epson ESC/POS reference defines it. Each answer is one byte
// whose bits 0, 1, 4 and 7 are fixed at 0, 1, 1, 0 (0x12 with every flag clear).

/** Which real-time status DLE EOT n asks for. */
export type StatusKind = 1 | 2 | 3 | 4;

/** The four DLE EOT answers, decoded. */
export interface PrinterStatus {
  /** Whether the printer is online (DLE EOT 1, bit 3 clear). */
  online: boolean;
  /** The cover is open (DLE EOT 2, bit 2). */
  coverOpen: boolean;
  /** The paper feed button is being pressed (DLE EOT 1, bit 6). */
  feedButtonPressed: boolean;
  /** Printing stopped because the paper ran out (DLE EOT 2, bit 5). */
  stoppedByPaperEnd: boolean;
  /** An error occurred (DLE EOT 2, bit 6); the cause is in `errors`. */
  error: boolean;
  /** Error causes (DLE EOT 3). */
  errors: {
    /** Bit 3: the auto-cutter jammed or failed. */
    autocutter: boolean;
    /** Bit 5: an error that needs the printer switched off and on. */
    unrecoverable: boolean;
    /** Bit 6: an error that clears by itself (e.g. the head too hot). */
    autoRecoverable: boolean;
  };
  /** The roll paper near-end sensor sees little paper left (DLE EOT 4, bits 2–3). */
  paperNearEnd: boolean;
  /** The roll paper end sensor sees no paper (DLE EOT 4, bits 5–6). */
  paperOut: boolean;
  /** Ready to print: online, paper present, cover closed, no error. */
  ready: boolean;
  /** The raw answers to DLE EOT 1, 2, 3 and 4. */
  bytes: [number, number, number, number];
}

/** The bytes of the query DLE EOT n. */
export function statusQuery(kind: StatusKind): Uint8Array {
  return Uint8Array.from([0x10, 0x04, kind]);
}

/** Whether a byte can be an answer to DLE EOT: bits 0, 1, 4, 7 read 0, 1, 1, 0. */
export function isStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

/** Decodes the answers to DLE EOT 1, 2, 3 and 4 (in that order). */
export function parseStatus(bytes: readonly [number, number, number, number]): PrinterStatus {
  const [printer, offline, error, paper] = bytes;
  const online = (printer & 0x08) === 0;
  const coverOpen = (offline & 0x04) !== 0;
  // Either bit of a two-bit sensor field counts: printers set both, some clones only one.
  const paperOut = (paper & 0x60) !== 0 || (offline & 0x20) !== 0;
  const anyError = (offline & 0x40) !== 0;
  return {
    online,
    coverOpen,
    feedButtonPressed: (printer & 0x40) !== 0,
    stoppedByPaperEnd: (offline & 0x20) !== 0,
    error: anyError,
    errors: {
      autocutter: (error & 0x08) !== 0,
      unrecoverable: (error & 0x20) !== 0,
      autoRecoverable: (error & 0x40) !== 0,
    },
    paperNearEnd: (paper & 0x0c) !== 0,
    paperOut,
    ready: online && !coverOpen && !paperOut && !anyError,
    bytes: [printer, offline, error, paper],
  };
}

/** Why a printer is not ready, in words, e.g. "paper out, cover open". */
export function describeStatus(status: PrinterStatus): string {
  const reasons: string[] = [];
  if (status.paperOut) reasons.push("paper out");
  if (status.coverOpen) reasons.push("cover open");
  if (status.errors.autocutter) reasons.push("auto-cutter error");
  if (status.errors.unrecoverable) reasons.push("unrecoverable error");
  if (status.errors.autoRecoverable) reasons.push("auto-recoverable error");
  if (status.error && reasons.length === 0) reasons.push("error");
  if (!status.online && reasons.length === 0) reasons.push("offline");
  if (reasons.length === 0) reasons.push(status.paperNearEnd ? "ready, paper near end" : "ready");
  return reasons.join(", ");
}

/**
 * Counts the sequences 10 04 n (1 ≤ n ≤ 4) in a byte stream: printers answer each one, even
 * inside picture data, so a sender that waits for its own query's answer must expect these too.
 * `carry` continues a count over chunk boundaries: pass the previous call's `carry`.
 */
export function countStatusSequences(
  bytes: Uint8Array,
  carry = 0,
): { count: number; carry: number } {
  // carry: 0 nothing pending, 1 saw DLE, 2 saw DLE EOT
  let state = carry;
  let count = 0;
  for (const b of bytes) {
    if (state === 2) {
      if (b >= 1 && b <= 4) {
        count++;
        state = 0;
      } else state = b === 0x10 ? 1 : 0;
    } else if (state === 1) state = b === 0x04 ? 2 : b === 0x10 ? 1 : 0;
    else state = b === 0x10 ? 1 : 0;
  }
  return { count, carry: state };
}
