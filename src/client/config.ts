// Where the CLI finds the server and its token: flags, then PAVE_URL / PAVE_TOKEN, then the local config file
// that `pave up` writes (PAVE_CONFIG, default ~/.config/pave/config.json).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface ClientConfig {
  url: string;
  token: string | undefined;
}

export const DEFAULT_URL = "http://127.0.0.1:8700";

export function configPath(env: Record<string, string | undefined>): string {
  return env.PAVE_CONFIG ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "pave", "config.json");
}

export function resolveClientConfig(
  flags: { url?: string | undefined },
  env: Record<string, string | undefined>,
): ClientConfig {
  let file: Partial<ClientConfig> = {};
  try {
    file = JSON.parse(readFileSync(configPath(env), "utf8")) as Partial<ClientConfig>;
  } catch {}
  const url = flags.url ?? env.PAVE_URL ?? file.url ?? DEFAULT_URL;
  // The config file's token belongs to the server it names; don't send it to another one.
  const token = env.PAVE_TOKEN ?? (file.url === undefined || file.url === url ? file.token : undefined);
  return { url, token };
}
