export type { Logger } from "../logger.js";
export type { RequestGuardOptions } from "./guard.js";
export type { LogLayout } from "./log-buffer.js";
export {
  createLivyDevServer,
  type LivyDevServer,
  type LivyDevServerListenOptions,
  type LivyDevServerOptions,
  type RunningLivyDevServer,
} from "./server.js";
