import { packageConfig } from "../../tsup.config.base";
import { buildStudioUi } from "./src/studio-ui/build";

// the studio's browser bundle goes next to the server code in dist/
export default packageConfig({ onSuccess: () => buildStudioUi("dist/studio-ui") });
