import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

/** A loopback address of our own (127.x.y.1), so other listeners on 127.0.0.1 do not interfere. */
export function ownLoopback(): string {
  const x = 100 + Math.floor(Math.random() * 150);
  const y = Math.floor(Math.random() * 256);
  return `127.${x}.${y}.1`;
}

/** Listens on `host`, ephemeral port; every connection gets `onConnection` (default: closed at once). */
export function listen(
  host: string,
  onConnection: (s: net.Socket) => void = (s) => s.destroy(),
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = track(net.createServer(onConnection));
    server.once("error", reject);
    server.listen({ host, port: 0 }, () => resolve(server));
  });
}

export const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;

const connections = new WeakMap<net.Server, Set<net.Socket>>();

/** Tracks a server's connections so {@link close} can end them instead of waiting on them. */
export function track<T extends net.Server>(server: T): T {
  const set = new Set<net.Socket>();
  connections.set(server, set);
  server.on("connection", (s: net.Socket) => {
    set.add(s);
    s.on("close", () => set.delete(s));
  });
  return server;
}

export function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of connections.get(server) ?? []) s.destroy();
  });
}

/**
 * Many listeners on `host`; then `closedCount` of them are closed again, which yields ports
 * known to be closed (nothing else binds our own 127.x.y.1).
 */
export async function portsWithGroundTruth(host: string, openCount: number, closedCount: number) {
  const servers: net.Server[] = [];
  for (let i = 0; i < openCount + closedCount; i++) servers.push(await listen(host));
  const closing = servers.splice(openCount);
  const closed = closing.map(portOf);
  await Promise.all(closing.map(close));
  const open = servers.map(portOf);
  return { servers, open, closed, stop: () => Promise.all(servers.map(close)) };
}

/**
 * A port that drops SYNs: a child process listens with a backlog of 1, is stopped with SIGSTOP
 * so it never accepts, and its accept queue is filled; the kernel then drops further SYNs, so a
 * connect gets no answer at all (a "filtered" port, on loopback, without root or firewall rules).
 */
export async function blackholePort(
  host: string,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "-e",
      `const s=require("net").createServer();s.listen({host:${JSON.stringify(host)},port:0,backlog:1},()=>process.stdout.write(String(s.address().port)+"\\n"));`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once("data", (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once("exit", (code) => reject(new Error(`listener exited early (${code})`)));
  });
  child.kill("SIGSTOP");
  const fillers: net.Socket[] = [];
  // Fill the accept queue (backlog + 1 entries); stop once a connect no longer completes.
  for (let i = 0; i < 8; i++) {
    const s = net.connect({ host, port });
    s.on("error", () => undefined);
    fillers.push(s);
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 300);
      s.once("connect", () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!ok) break;
  }
  return {
    port,
    stop: async () => {
      for (const s of fillers) s.destroy();
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
