/**
 * masscan's banner escaping: printable ASCII stays, except `< > & \ " '`, which (with every
 * other byte) become `\xNN` (list, grepable, XML) or `\u00NN` (JSON, NDJSON). Bytes are the
 * latin1 code units of the text.
 */
export function escapeBanner(text: string, style: "x" | "u"): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) & 0xff;
    if (
      c >= 0x20 &&
      c < 0x7f &&
      c !== 0x3c &&
      c !== 0x3e &&
      c !== 0x26 &&
      c !== 0x5c &&
      c !== 0x22 &&
      c !== 0x27
    ) {
      out += text[i];
    } else {
      out += (style === "x" ? "\\x" : "\\u00") + c.toString(16).padStart(2, "0");
    }
  }
  return out;
}

/** Reverses {@link escapeBanner} for the `\xNN` style. */
export function unescapeBanner(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
