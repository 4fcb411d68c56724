import { packageConfig } from "../../tsup.config.base";

// After the library, bundle the studio's page into dist/studio-ui (see scripts/build-studio-ui.mjs).
export default packageConfig({ onSuccess: "node scripts/build-studio-ui.mjs" });
