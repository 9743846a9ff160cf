// Versioned schema migrations, written once with Kysely's schema builder so every adapter runs the same list.
// Never edit a migration that has shipped: add the next one.
import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./001-initial.ts";
import { bindings } from "./002-bindings.ts";
import { activationLookups } from "./003-activation-lookups.ts";
import { aliasSplits } from "./010-alias-splits.ts";

const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-bindings": bindings,
  "003-activation-lookups": activationLookups,
  "010-alias-splits": aliasSplits,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
