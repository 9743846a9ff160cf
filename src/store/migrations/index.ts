// Versioned schema migrations, written once with Kysely's schema builder so every adapter runs the same list.
// Never edit a migration that has shipped: add the next one.
import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./001-initial.ts";
import { bindings } from "./002-bindings.ts";
import { activationLookups } from "./003-activation-lookups.ts";
import { spans } from "./004-spans.ts";
import { rollups } from "./005-rollups.ts";
import { logFields } from "./006-log-fields.ts";
import { tokenScopes } from "./007-token-scopes.ts";
import { audit } from "./008-audit.ts";
import { schedules } from "./009-schedules.ts";
import { aliasSplits } from "./010-alias-splits.ts";
import { deliveries } from "./011-deliveries.ts";
import { environments } from "./012-environments.ts";
import { canaries } from "./013-canaries.ts";
import { policies } from "./014-policies.ts";
import { changes } from "./015-changes.ts";
import { activationSpans } from "./016-activation-spans.ts";
import { activationChunks } from "./017-activation-chunks.ts";
import { logChunks } from "./018-log-chunks.ts";
import { linesInActivations } from "./019-lines-in-activations.ts";

const migrations: Record<string, Migration> = {
  "001-initial": initial,
  "002-bindings": bindings,
  "003-activation-lookups": activationLookups,
  "004-spans": spans,
  "005-rollups": rollups,
  "008-audit": audit,
  "007-token-scopes": tokenScopes,
  "009-schedules": schedules,
  "006-log-fields": logFields,
  "010-alias-splits": aliasSplits,
  "012-environments": environments,
  "011-deliveries": deliveries,
  "014-policies": policies,
  "013-canaries": canaries,
  "015-changes": changes,
  "016-activation-spans": activationSpans,
  "017-activation-chunks": activationChunks,
  "018-log-chunks": logChunks,
  "019-lines-in-activations": linesInActivations,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
