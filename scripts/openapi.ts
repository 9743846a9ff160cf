// Regenerates what is generated from the route declarations: docs/openapi.json and the route table of
// docs/access.md (between its `routes:begin` and `routes:end` markers). `npm run openapi`; tests fail on drift.
import { readFileSync, writeFileSync } from "node:fs";
import { currentAccessTable, currentOpenApi } from "../src/api/index.ts";
import { VERSION } from "../src/version.ts";

writeFileSync(
  new URL("../docs/openapi.json", import.meta.url),
  `${JSON.stringify(currentOpenApi(VERSION), null, 2)}\n`,
);

const access = new URL("../docs/access.md", import.meta.url);
const doc = readFileSync(access, "utf8");
const block = /(<!-- routes:begin[^>]*-->)[\s\S]*?(<!-- routes:end -->)/;
if (!block.test(doc)) throw new Error("docs/access.md lost its <!-- routes:begin --> / <!-- routes:end --> markers");
writeFileSync(
  access,
  doc.replace(block, (_m, begin: string, end: string) => `${begin}\n${currentAccessTable()}\n${end}`),
);
