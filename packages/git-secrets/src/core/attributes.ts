/**
 * Just enough of gitattributes(5) to answer "which filter does git give this path", without a
 * git binary (readFile works from the object database alone): the `filter` attribute set by
 * `filter=<driver>`, unset by `-filter` or `!filter`, patterns with gitignore's wildmatch rules
 * (no negation), later lines over earlier ones and deeper files over shallower ones.
 */
export interface AttributeRule {
  /** The directory of the .gitattributes file, `""` for the top, without a trailing slash. */
  base: string;
  pattern: RegExp;
  /** The driver name, or `null` when the line unsets the attribute. */
  filter: string | null;
}

function globToRegExp(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const before = i === 0 || glob[i - 1] === "/";
        const after = i + 2 === glob.length || glob[i + 2] === "/";
        if (before && after) {
          // "**/" = any number of directories; a trailing "/**" = everything inside.
          if (i + 2 === glob.length) out += ".*";
          else {
            out += "(?:.*/)?";
            i += 2;
            continue;
          }
          i += 1;
          continue;
        }
      }
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let set = glob.slice(i + 1, end);
        if (set.startsWith("!")) set = `^${set.slice(1)}`;
        out += `[${set.replaceAll("\\", "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      out += (glob[i + 1] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      i++;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

/** The `filter` rules of one .gitattributes file found in directory `base`. */
export function parseAttributes(text: string, base: string): AttributeRule[] {
  const rules: AttributeRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [pattern, ...attrs] = line.split(/[ \t]+/);
    if (!pattern || pattern.startsWith("!")) continue; // negative patterns are forbidden in gitattributes
    let filter: string | null | undefined;
    for (const attr of attrs) {
      if (attr.startsWith("filter=")) filter = attr.slice("filter=".length);
      else if (attr === "-filter" || attr === "!filter") filter = null;
    }
    if (filter === undefined) continue;
    let glob = pattern;
    // Without a slash (a trailing one aside), the pattern matches a name at any depth.
    const anchored = glob.replace(/\/$/, "").includes("/");
    if (glob.startsWith("/")) glob = glob.slice(1);
    const body = globToRegExp(glob);
    const prefix = base === "" ? "" : `${base.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}/`;
    const regex = anchored ? `^${prefix}${body}$` : `^${prefix}(?:.*/)?${body}$`;
    rules.push({ base, pattern: new RegExp(regex), filter });
  }
  return rules;
}

/**
 * The filter git gives `path`, from rules ordered by precedence, lowest first (top
 * .gitattributes, then deeper ones, then `.git/info/attributes`).
 */
export function filterFor(rules: readonly AttributeRule[], path: string): string | undefined {
  let found: string | null | undefined;
  for (const rule of rules) {
    if (rule.base !== "" && !path.startsWith(`${rule.base}/`)) continue;
    if (rule.pattern.test(path)) found = rule.filter;
  }
  return found ?? undefined;
}
