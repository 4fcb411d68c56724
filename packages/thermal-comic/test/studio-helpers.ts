import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { buildStudioUi } from "../scripts/build-studio-ui.mjs";

/** Builds the studio page once per test file into a temporary folder; returns its path. */
export function studioUi(): { dir: string } {
  const ui = { dir: "" };
  beforeAll(async () => {
    ui.dir = mkdtempSync(join(tmpdir(), "studio-ui-"));
    await buildStudioUi(ui.dir);
  });
  afterAll(() => rmSync(ui.dir, { recursive: true, force: true }));
  return ui;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  json: () => Record<string, any>;
}

/** A real HTTP request with full control of the headers (Host and Origin included). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: () => JSON.parse(body.toString("utf8")),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}
