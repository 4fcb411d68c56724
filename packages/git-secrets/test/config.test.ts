import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  configCheck,
  configResolve,
  exportKey,
  GitSecretsError,
  importKey,
  init,
  parseConfig,
  parseDotenv,
  parseProperties,
} from "../src/index.js";
import { CLI_COMMAND, git, newRepo, sandbox, seal } from "./helpers.js";

describe("configuration formats", () => {
  it("reads .properties as java.util.Properties does", () => {
    const text = [
      "# comment",
      "! also a comment",
      "db.host = db.internal",
      "db.port:5432",
      "name\\ with\\ spaces  value",
      "multi = one, \\",
      "        two",
      "unicode = caf\\u00e9",
      "empty",
      "path = C:\\\\temp",
    ].join("\n");
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      "db.host": "db.internal",
      "db.port": "5432",
      "name with spaces": "value",
      multi: "one, two",
      unicode: "café",
      empty: "",
      path: "C:\\temp",
    });
    expect(() => parseProperties("bad = \\u12", "x.properties")).toThrow(GitSecretsError);
  });

  it("reads .env as dotenv does: export, quotes, escapes, comments, multi-line values", () => {
    const text = [
      "# comment",
      "export API_URL=https://api.example.com # trailing comment",
      "SINGLE='literal \\n $x'",
      'DOUBLE="line1\\nline2"',
      'PEM="-----BEGIN-----',
      "abc",
      '-----END-----"',
      "HASH=a#b",
      "EMPTY=",
    ].join("\n");
    expect(Object.fromEntries(parseDotenv(text))).toEqual({
      API_URL: "https://api.example.com",
      SINGLE: "literal \\n $x",
      DOUBLE: "line1\nline2",
      PEM: "-----BEGIN-----\nabc\n-----END-----",
      HASH: "a#b",
      EMPTY: "",
    });
    expect(() => parseDotenv("no equals sign", "x.env")).toThrow("x.env:1");
    expect(() => parseDotenv('A="open', "y.env")).toThrow("unterminated");
  });

  it("flattens JSON and YAML with dotted keys", async () => {
    const json = await parseConfig(
      '{"db":{"host":"h","port":5432},"tags":["a"],"on":true}',
      "json",
    );
    expect(Object.fromEntries(json)).toEqual({
      "db.host": "h",
      "db.port": "5432",
      tags: '["a"]',
      on: "true",
    });
    const yaml = await parseConfig("db:\n  host: h\n  port: 5432\nname: app\n", "yaml");
    expect(Object.fromEntries(yaml)).toEqual({ "db.host": "h", "db.port": "5432", name: "app" });
    await expect(parseConfig("[1, 2]", "yaml", "list.yaml")).rejects.toThrow("mapping");
    await expect(parseConfig("{", "json", "bad.json")).rejects.toThrow("not valid JSON");
  });
});

let box: Awaited<ReturnType<typeof sandbox>>;
beforeAll(async () => {
  box = await sandbox();
});
afterAll(() => box.cleanup());

describe("config check and resolve", { timeout: 120_000, tags: ["slow"] }, () => {
  it("reports per environment the missing, unknown and overriding keys, reading encrypted files decrypted, and what --since added", async () => {
    const live = newRepo(box.root, "config-live");
    await init({ dir: live, command: CLI_COMMAND });
    mkdirSync(join(live, "config"));
    writeFileSync(join(live, ".gitattributes"), "config/*.env filter=git-seal diff=git-seal\n");
    writeFileSync(
      join(live, "config", "schema.yaml"),
      "required:\n  DB_PASSWORD: database password\n  DB_HOST: database host\ndefaults:\n  DB_PORT: 5432\n  LOG_LEVEL: info\n",
    );
    writeFileSync(
      join(live, "config", "prod.env"),
      "DB_HOST=db.prod\nDB_PASSWORD=prod-pw\nLOG_LEVEL=warn\n",
    );
    writeFileSync(join(live, "config", "dev.env"), "DB_HOST=localhost\nDB_PASWORD=typo\n");
    git(live, "add", ".");
    git(live, "commit", "-q", "-m", "configs");
    const before = git(live, "rev-parse", "HEAD").trim();
    writeFileSync(
      join(live, "config", "schema.yaml"),
      "required:\n  DB_PASSWORD: database password\n  DB_HOST: database host\n  API_TOKEN: token of the payments API\ndefaults:\n  DB_PORT: 5432\n  LOG_LEVEL: info\n",
    );
    git(live, "commit", "-q", "-am", "API_TOKEN needed");
    const result = await configCheck({
      dir: live,
      schema: "config/schema.yaml",
      files: ["config/prod.env", "config/dev.env"],
      since: before,
    });
    expect(result.ok).toBe(false);
    expect(result.files).toEqual([
      { path: "config/prod.env", missing: ["API_TOKEN"], unknown: [], overriding: ["LOG_LEVEL"] },
      {
        path: "config/dev.env",
        missing: ["DB_PASSWORD", "API_TOKEN"],
        unknown: ["DB_PASWORD"],
        overriding: [],
      },
    ]);
    expect(result.addedSince).toEqual([
      { key: "API_TOKEN", description: "token of the payments API" },
    ]);

    writeFileSync(
      join(live, "config", "prod.env"),
      "DB_HOST=db.prod\nDB_PASSWORD=prod-pw\nLOG_LEVEL=warn\nAPI_TOKEN=tok\n",
    );
    expect(
      await configResolve({ dir: live, schema: "config/schema.yaml", file: "config/prod.env" }),
    ).toEqual({
      DB_PORT: "5432",
      LOG_LEVEL: "warn",
      DB_HOST: "db.prod",
      DB_PASSWORD: "prod-pw",
      API_TOKEN: "tok",
    });
    await expect(
      configResolve({ dir: live, schema: "config/schema.yaml", file: "config/dev.env" }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });

    // A clone with the key imported but not unlocked: the work tree holds ciphertext, and the
    // check reads it decrypted with the stored key; without a key it says so.
    git(live, "commit", "-q", "-am", "token set");
    const clone = join(box.root, "config-clone");
    git(box.root, "clone", "-q", live, clone);
    await expect(
      configCheck({ dir: clone, schema: "config/schema.yaml", files: ["config/dev.env"] }),
    ).rejects.toMatchObject({ code: "KEY_NOT_FOUND" });
    const keyFile = join(box.root, "config.key");
    await exportKey({ dir: live, output: keyFile });
    await importKey({ dir: clone, keyFile });
    const cli = seal(clone, [
      "config",
      "check",
      "--schema",
      "config/schema.yaml",
      "--since",
      before,
      "config/dev.env",
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain("missing required: DB_PASSWORD");
    expect(cli.stdout).toContain("unknown: DB_PASWORD");
    expect(cli.stdout).toContain("API_TOKEN — token of the payments API");
    const resolved = seal(clone, [
      "config",
      "resolve",
      "--schema",
      "config/schema.yaml",
      "--json",
      "config/prod.env",
    ]);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ API_TOKEN: "tok", DB_PORT: "5432" });
  });
});
