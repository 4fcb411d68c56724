// Forged requests against the dev server, sent as real HTTP requests with the headers a browser
// puts on them: a cross-site form or fetch POST, and a page read through DNS rebinding.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLivyDevServer, type LivyDevServerOptions } from "../src/dev-server/index.js";
import { devServersClosedAfterEach } from "./helpers.js";

const start = devServersClosedAfterEach();

interface Answer {
  status: number;
  body: string;
}

function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

// What Chromium sends for `fetch("http://127.0.0.1:8998/batches", { method: "POST", mode:
// "no-cors", body: JSON.stringify(…) })` or a text/plain form from https://evil.example.
const browser = (url: string) => ({
  host: new URL(url).host,
  origin: "https://evil.example",
  referer: "https://evil.example/",
  "content-type": "text/plain;charset=UTF-8",
  "sec-fetch-site": "cross-site",
  "sec-fetch-mode": "no-cors",
  "sec-fetch-dest": "empty",
  "user-agent":
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  accept: "*/*",
});

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A shell batch that would leave a marker file if it ever ran. */
function attack(): { body: string; marker: string } {
  scratch = mkdtempSync(join(tmpdir(), "livy-forged-"));
  const marker = join(scratch, "pwned");
  return { body: JSON.stringify({ file: "/bin/sh", args: ["-c", `touch ${marker}`] }), marker };
}

async function batchesOn(url: string): Promise<number> {
  const answer = await send(url, "GET", "/batches", { host: new URL(url).host });
  return (JSON.parse(answer.body) as { total: number }).total;
}

describe("dev server: requests a web page could forge", () => {
  it("refuses a cross-site POST from a page (foreign Origin) and runs nothing", async () => {
    const { server } = await start();
    const { body, marker } = attack();
    const answer = await send(server.url, "POST", "/batches", browser(server.url), body);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body).msg).toContain('Origin "https://evil.example" is not allowed');
    expect(await batchesOn(server.url)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("without the Origin check, still refuses a POST without X-Requested-By (400, like Livy)", async () => {
    const { server } = await start({ checkOrigin: false });
    const { body, marker } = attack();
    const answer = await send(server.url, "POST", "/batches", browser(server.url), body);
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("Missing Required Header for CSRF protection.");
    expect(await batchesOn(server.url)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("without the Origin and CSRF checks, still refuses a text/plain body (415)", async () => {
    const { server } = await start({ checkOrigin: false, csrf: false });
    const { body, marker } = attack();
    const answer = await send(server.url, "POST", "/batches", browser(server.url), body);
    expect(answer.status).toBe(415);
    expect(JSON.parse(answer.body).msg).toContain("send application/json");
    expect(await batchesOn(server.url)).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses a DNS-rebound read (foreign Host while bound to loopback)", async () => {
    const { server, client } = await start();
    await client.submitBatch({ file: "count.mjs", args: ["1"], name: "secret-job" });
    const port = new URL(server.url).port;
    // After rebinding, the page's own origin resolves to 127.0.0.1: a same-origin GET carries
    // the attacker's Host and no Origin.
    const rebound = await send(server.url, "GET", "/batches", {
      host: `rebind.evil.example:${port}`,
      "sec-fetch-site": "same-origin",
      "sec-fetch-mode": "cors",
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain("secret-job");
    expect(JSON.parse(rebound.body).msg).toContain("not a loopback name");
    for (const host of [
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      `127.8.9.10:${port}`,
      "app.localhost",
    ]) {
      expect((await send(server.url, "GET", "/batches", { host })).status).toBe(200);
    }
  });

  it("turns each check off, or widens it, only when asked", async () => {
    const port = (url: string) => new URL(url).port;
    const allowed = await start({
      allowedOrigins: ["http://localhost:5173"],
      allowedHosts: ["devbox.internal"],
    });
    const headers = {
      host: `devbox.internal:${port(allowed.server.url)}`,
      origin: "http://localhost:5173",
      "content-type": "application/json",
      "x-requested-by": "studio",
    };
    const ok = await send(
      allowed.server.url,
      "POST",
      "/batches",
      headers,
      JSON.stringify({ file: "count.mjs", args: ["1"] }),
    );
    expect(ok.status).toBe(201);

    const off: LivyDevServerOptions = {
      csrf: false,
      requireJsonContentType: false,
      checkOrigin: false,
      checkHost: false,
    };
    const open = await start(off);
    const forged = await send(
      open.server.url,
      "POST",
      "/batches",
      { ...browser(open.server.url), host: `rebind.evil.example:${port(open.server.url)}` },
      JSON.stringify({ file: "count.mjs", args: ["1"] }),
    );
    expect(forged.status).toBe(201);
  });

  it("answers 413 to a body over maxBodyBytes, declared or streamed, and creates nothing", async () => {
    const { server } = await start({ maxBodyBytes: 1024 });
    const headers = {
      host: new URL(server.url).host,
      "content-type": "application/json",
      "x-requested-by": "test",
    };
    const big = JSON.stringify({ file: "count.mjs", args: ["x".repeat(2000)] });
    const declared = await send(server.url, "POST", "/batches", headers, big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).msg).toBe(
      "Request body is larger than 1024 bytes (maxBodyBytes).",
    );
    const chunked = await send(
      server.url,
      "POST",
      "/batches",
      { ...headers, "transfer-encoding": "chunked" },
      big,
    );
    expect(chunked.status).toBe(413);
    const fits = await send(
      server.url,
      "POST",
      "/batches",
      headers,
      JSON.stringify({ file: "count.mjs", args: ["1"] }),
    );
    expect(fits.status).toBe(201);
    expect(await batchesOn(server.url)).toBe(1);
  });

  it("defaults to a 1 MiB body limit", async () => {
    const { server } = await start();
    const headers = {
      host: new URL(server.url).host,
      "content-type": "application/json",
      "x-requested-by": "test",
    };
    const overMiB = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect((await send(server.url, "POST", "/batches", headers, overMiB)).status).toBe(413);
    const underMiB = Buffer.concat([
      Buffer.from('{"file": "count.mjs", "args": ["1"]}'),
      Buffer.alloc(1024 * 1024 - 64, 0x20),
    ]);
    expect((await send(server.url, "POST", "/batches", headers, underMiB)).status).toBe(201);
  });

  it("warns that it runs arbitrary programs when bound to a non-loopback address", async () => {
    const warnings: string[] = [];
    const silent = () => {};
    const logger = {
      debug: silent,
      info: silent,
      warn: (m: unknown) => void warnings.push(String(m)),
      error: silent,
    };
    const loopback = await createLivyDevServer({ logger }).start({ port: 0, host: "127.0.0.1" });
    await loopback.close();
    expect(warnings).toEqual([]);
    const exposed = await createLivyDevServer({ logger }).start({ port: 0, host: "0.0.0.0" });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("not on loopback");
      expect(warnings[0]).toContain("run arbitrary programs");
    } finally {
      await exposed.close();
    }
  });
});
