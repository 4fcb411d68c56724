import { describe, expect, it } from "vitest";
import { filterFor, parseAttributes } from "../src/core/attributes.js";

describe("gitattributes filter matching (for readFile without git)", () => {
  it("follows gitattributes(5): basename patterns at any depth, anchored paths, **, unset, precedence", () => {
    const top = parseAttributes(
      [
        "# comment",
        "*.env filter=git-seal diff=git-seal",
        "secrets/** filter=git-seal-ops",
        "/root.key filter=git-seal",
        "docs/*.env -filter",
        "config/[ab].yml filter=git-seal",
        "!negated filter=git-seal",
      ].join("\n"),
      "",
    );
    const nested = parseAttributes("local.env !filter\n*.txt filter=git-crypt\n", "app");
    const rules = [...top, ...nested];
    expect(filterFor(rules, "prod.env")).toBe("git-seal");
    expect(filterFor(rules, "deep/down/prod.env")).toBe("git-seal");
    expect(filterFor(rules, "prod.envx")).toBeUndefined();
    expect(filterFor(rules, "secrets/a/b/c.txt")).toBe("git-seal-ops");
    expect(filterFor(rules, "root.key")).toBe("git-seal");
    expect(filterFor(rules, "sub/root.key")).toBeUndefined();
    expect(filterFor(rules, "docs/example.env")).toBeUndefined();
    expect(filterFor(rules, "docs/sub/example.env")).toBe("git-seal");
    expect(filterFor(rules, "config/a.yml")).toBe("git-seal");
    expect(filterFor(rules, "config/c.yml")).toBeUndefined();
    expect(filterFor(rules, "negated")).toBeUndefined();
    // A deeper .gitattributes wins, and only below its own directory.
    expect(filterFor(rules, "app/local.env")).toBeUndefined();
    expect(filterFor(rules, "app/x/notes.txt")).toBe("git-crypt");
    expect(filterFor(rules, "notes.txt")).toBeUndefined();
  });
});
