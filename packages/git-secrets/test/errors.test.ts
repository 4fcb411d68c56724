import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GIT_SECRETS_ERROR_CODES, GitSecretsError, isGitSecretsError } from "../src/index.js";
import { PKG } from "./helpers.js";

describe("GitSecretsError", () => {
  it("has the documented code table, and isGitSecretsError recognises its errors (and only those)", () => {
    const documented = [
      "INVALID_ARGUMENT",
      "NOT_A_REPOSITORY",
      "GIT_FAILED",
      "GIT_TOO_OLD",
      "ALREADY_INITIALIZED",
      "KEY_NOT_FOUND",
      "WRONG_KEY",
      "CORRUPT_BLOB",
      "CORRUPT_KEY_FILE",
      "UNSUPPORTED_VERSION",
      "PASSPHRASE_REQUIRED",
      "WRONG_PASSPHRASE",
      "WEAK_PASSPHRASE",
      "FILTER_NOT_CONFIGURED",
      "FILTER_CONFIG_STALE",
      "UNCOMMITTED_CHANGES",
      "PLAINTEXT_IN_ENCRYPTED_PATH",
      "ALREADY_ENCRYPTED",
      "MEMBER_NOT_FOUND",
      "PROTOCOL_ERROR",
      "FILE_NOT_FOUND",
      "ABORTED",
    ];
    expect([...GIT_SECRETS_ERROR_CODES]).toEqual(documented);
    // The README's table names every code.
    const readme = readFileSync(join(PKG, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("### Error codes"));
    for (const code of documented) expect(table).toContain(`\`${code}\``);

    const cause = new Error("underlying");
    const error = new GitSecretsError("WRONG_KEY", "sealed with another key", {
      cause,
      foundKeyId: "0011223344556677",
    });
    expect(error.cause).toBe(cause);
    expect(isGitSecretsError(error)).toBe(true);
    expect(isGitSecretsError(error, "WRONG_KEY", "CORRUPT_BLOB")).toBe(true);
    expect(isGitSecretsError(error, "CORRUPT_BLOB")).toBe(false);
    // An error from another copy of the package (dual ESM/CJS load) still counts …
    const foreign = Object.assign(new Error("x"), { name: "GitSecretsError", code: "ABORTED" });
    expect(isGitSecretsError(foreign, "ABORTED")).toBe(true);
    // … but not a lookalike with an unknown code, a plain object or a plain Error.
    expect(
      isGitSecretsError(Object.assign(new Error("x"), { name: "GitSecretsError", code: "NOPE" })),
    ).toBe(false);
    expect(isGitSecretsError({ name: "GitSecretsError", code: "ABORTED", message: "x" })).toBe(
      false,
    );
    expect(isGitSecretsError(new Error("plain"))).toBe(false);
  });
});
