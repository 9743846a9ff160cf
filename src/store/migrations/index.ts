// Versioned schema migrations, written once with Kysely's schema builder so every adapter runs the same list.
// Never edit a migration that has shipped: add the next one.
import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./001-initial.ts";
import { bindings } from "./002-bindings.ts";
import { activationLookups } from "./003-activation-lookups.ts";
import { spans } from "./004-spans.ts";

const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-bindings": bindings,
  "003-activation-lookups": activationLookups,
  "004-spans": spans,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
