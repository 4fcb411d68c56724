import { packageConfig } from "../../tsup.config.base";

// The connect-pool worker is its own entry: dist/connect-worker.(c)js, started by path.
export default packageConfig({
  entry: {
    index: "src/index.ts",
    cli: "src/cli.ts",
    "connect-worker": "src/adapters/connect-worker.ts",
  },
});
