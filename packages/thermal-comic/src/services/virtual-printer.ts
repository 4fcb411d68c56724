import { createServer, type Socket } from "node:net";
import { renderPaper } from "../adapters/paper.js";
import { type DecodedPaper, decodeEscPos } from "../core/escpos-decode.js";
import type { Logger } from "../logger.js";

/** One print job the virtual printer received: one connection's bytes. */
export interface VirtualPrintJob {
  /** 1-based job number. */
  id: number;
  /** The raw ESC/POS bytes. */
  bytes: Uint8Array;
  /** What a printer would have printed. */
  paper: DecodedPaper;
  /** The paper as a greyscale PNG. */
  png: Buffer;
}

/** Options of {@link startVirtualPrinter}. */
export interface VirtualPrinterOptions {
  /**
   * TCP port; 0 picks a free one.
   * @defaultValue 9100
   */
  port?: number;
  /**
   * Address to listen on. Loopback by default: a raw print port has no authentication.
   * @defaultValue "127.0.0.1"
   */
  host?: string;
  /**
   * Paper width in dots.
   * @defaultValue 576
   */
  width?: number;
  /**
   * Called with each finished job.
   * @defaultValue none
   */
  onJob?: (job: VirtualPrintJob) => void;
  /**
   * Connections, jobs and refused requests.
   * @defaultValue silent
   */
  logger?: Logger;
}

/** A running virtual printer. */
export interface RunningVirtualPrinter {
  /** `tcp://host:port`, usable as a printer target. */
  url: string;
  port: number;
  /** Jobs received so far. */
  jobs: VirtualPrintJob[];
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

// A web page can make a browser send an HTTP request to port 9100, and a real printer prints it.
// The virtual printer refuses connections that start like an HTTP request instead.
const HTTP_START = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) /;

/**
 * A raw TCP print server (the "port 9100" / JetDirect protocol any ESC/POS program can print
 * to): each connection is a job; DLE EOT status queries get "online, paper present" answers;
 * when the client closes, the job is decoded and rendered.
 */
export function startVirtualPrinter(
  options: VirtualPrinterOptions = {},
): Promise<RunningVirtualPrinter> {
  const width = options.width ?? 576;
  const jobs: VirtualPrintJob[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    let refused = false;
    let scanned = 0;
    socket.on("data", (chunk: Buffer) => {
      if (refused) return;
      if (chunks.length === 0) {
        const head = chunk.subarray(0, 8).toString("latin1");
        if (HTTP_START.test(head)) {
          refused = true;
          options.logger?.warn(
            `virtual printer: refused an HTTP request from ${socket.remoteAddress} (cross-protocol printing)`,
          );
          socket.destroy();
          return;
        }
      }
      chunks.push(chunk);
      // Answer real-time status queries as a printer that is online with paper.
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      for (let i = Math.max(0, scanned - 2); i + 2 < all.length; i++)
        if (all[i] === 0x10 && all[i + 1] === 0x04) socket.write(Buffer.from([0x12]));
      scanned = all.length;
    });
    socket.on("error", (error) =>
      options.logger?.debug(`virtual printer: connection error ${error.message}`),
    );
    socket.on("close", () => {
      sockets.delete(socket);
      if (refused || chunks.length === 0) return;
      const bytes = new Uint8Array(Buffer.concat(chunks));
      const paper = decodeEscPos(bytes, { width });
      const job: VirtualPrintJob = { id: jobs.length + 1, bytes, paper, png: renderPaper(paper) };
      jobs.push(job);
      options.logger?.info(
        `virtual printer: job ${job.id}, ${bytes.length} bytes, ${paper.height} dots of paper`,
      );
      if (paper.unknown.length)
        options.logger?.warn(
          `virtual printer: job ${job.id} skipped ${paper.unknown.length} unknown command(s)`,
        );
      options.onJob?.(job);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 9100, options.host ?? "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const host = options.host ?? "127.0.0.1";
      resolve({
        url: `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`,
        port,
        jobs,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
