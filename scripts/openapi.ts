// Regenerates docs/openapi.json from the route declarations: `npm run openapi`. A test fails when it drifts.
import { writeFileSync } from "node:fs";
import { currentOpenApi } from "../src/api/index.ts";
import { VERSION } from "../src/version.ts";

writeFileSync(
  new URL("../docs/openapi.json", import.meta.url),
  `${JSON.stringify(currentOpenApi(VERSION), null, 2)}\n`,
);
