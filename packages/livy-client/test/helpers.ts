import { join } from "node:path";
import {
  createLivyDevServer,
  type LivyDevServerOptions,
  type RunningLivyDevServer,
} from "../src/dev-server/index.js";
import { LivyClient, type LivyClientOptions } from "../src/index.js";

export const jobs = join(import.meta.dirname, "fixtures", "jobs");

/** Starts a dev server on an ephemeral loopback port with the test jobs as its cwd. */
export async function devServer(
  options: LivyDevServerOptions = {},
  client: Partial<LivyClientOptions> = {},
): Promise<{ server: RunningLivyDevServer; client: LivyClient; requests: string[] }> {
  const requests: string[] = [];
  const server = await createLivyDevServer({
    cwd: jobs,
    onRequest: (method, path) => requests.push(`${method} ${path}`),
    ...options,
  }).start({ port: 0 });
  return { server, client: new LivyClient({ url: server.url, ...client }), requests };
}
