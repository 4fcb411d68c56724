export type { LogLayout } from "./log-buffer.js";
export {
  createLivyDevServer,
  type LivyDevServer,
  type LivyDevServerListenOptions,
  type LivyDevServerOptions,
  type RunningLivyDevServer,
} from "./server.js";
