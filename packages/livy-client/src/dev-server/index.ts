export {
  createLivyDevServer,
  type LivyDevServer,
  type LivyDevServerListenOptions,
  type LivyDevServerOptions,
  type RunningLivyDevServer,
} from "./server.js";
