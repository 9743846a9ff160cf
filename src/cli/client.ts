// The API client a command talks to, configured from the global options (--url), PAVE_URL / PAVE_TOKEN and the
// local config file that `pave up` writes; plus the global option types every command reads.
import type { Command } from "commander";
import { PaveClient, resolveClientConfig } from "../client/index.ts";

export interface GlobalOpts {
  url?: string;
  json?: boolean;
}

export function clientFrom(globalOpts: GlobalOpts): PaveClient {
  return new PaveClient(resolveClientConfig({ url: globalOpts.url }, process.env));
}

/** The global options merged with the command's own. */
export function optsOf<T extends object>(cmd: Command): T & GlobalOpts {
  return cmd.optsWithGlobals<T & GlobalOpts>();
}
