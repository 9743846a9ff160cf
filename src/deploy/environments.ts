// Environments as an operation: create one (empty, or as a copy of another's function versions and config),
// remove one with everything in it, and tear down what has expired — environments past their TTL, functions past
// their `expires:` — as `system`, each with its audit record.
import { PaveError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { type AuditLog, SYSTEM_ACTOR } from "../ops/index.ts";
import type { EnvironmentContents, EnvironmentCopy, EnvironmentRecord, Store } from "../store/index.ts";
import { functionExpiresAt } from "./expires.ts";
import type { Manifest } from "./manifest.ts";

/** The environment every server has, which the HTTP gateway serves: never removed, never expiring. */
export const PROD = "prod";

export interface EnvironmentsDeps {
  store: Store;
  audit: AuditLog;
  logger: Logger;
  /** Told after an environment was created with functions, so their schedules arm and minInstances warm up. */
  onCreated: (env: string) => Promise<void>;
  /** Told for each function torn down (with its environment or alone), so its instances and caches go. */
  onRemoved: (env: string, fn: string) => Promise<void>;
}

export interface CreateEnvironment {
  name: string;
  from?: string | undefined;
  /** How long until housekeeping tears it down (ms); it lives until removed without one. */
  ttlMs?: number | undefined;
  createdBy: string;
  now: number;
}

/** A secret the copied functions bind that the new environment lacks (secrets are never copied), with who needs it. */
export interface MissingSecret {
  name: string;
  functions: string[];
}

export interface CreatedEnvironment {
  environment: EnvironmentRecord;
  copied: EnvironmentCopy;
  missingSecrets: MissingSecret[];
}

export const isEmpty = (c: EnvironmentContents) => Object.values(c).every((n) => n === 0);

export class Environments {
  readonly #deps: EnvironmentsDeps;

  constructor(deps: EnvironmentsDeps) {
    this.#deps = deps;
  }

  async create(req: CreateEnvironment): Promise<CreatedEnvironment> {
    const { store } = this.#deps;
    const environment: EnvironmentRecord = {
      name: req.name,
      createdAt: req.now,
      createdBy: req.createdBy,
      from: req.from ?? null,
      expiresAt: req.ttlMs === undefined ? null : req.now + req.ttlMs,
    };
    const copied = await store.createEnvironment(environment, req.now);
    if (copied.functions > 0) await this.#deps.onCreated(req.name);
    return { environment, copied, missingSecrets: await this.missingSecrets(req.name) };
  }

  /** The secrets the environment's live functions bind that it does not hold, by name. */
  async missingSecrets(env: string): Promise<MissingSecret[]> {
    const { store } = this.#deps;
    const needed = new Map<string, string[]>();
    for (const fn of await store.listFunctions(env)) {
      const secrets = fn.manifest ? (JSON.parse(fn.manifest) as Manifest).bindings.secrets : [];
      for (const s of secrets) needed.set(s, [...(needed.get(s) ?? []), fn.name]);
    }
    const held = await store.getSecrets(env, [...needed.keys()]);
    return [...needed]
      .filter(([name]) => !held.has(name))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, functions]) => ({ name, functions }));
  }

  /** Removes an environment and all it holds; one that holds anything only with `force`. Returns what it held. */
  async remove(name: string, force: boolean): Promise<EnvironmentContents> {
    const { store } = this.#deps;
    if (name === PROD) {
      throw new PaveError("EnvironmentProtected", "prod is always present and cannot be removed");
    }
    if (!(await store.getEnvironment(name))) {
      throw new PaveError("EnvironmentNotFound", `no environment ${name}; see \`pave env ls\``);
    }
    const contents = await store.environmentContents(name);
    if (!force && !isEmpty(contents)) {
      const held = Object.entries(contents)
        .filter(([, n]) => n > 0)
        .map(([what, n]) => `${n} ${what}`)
        .join(", ");
      throw new PaveError(
        "EnvironmentNotEmpty",
        `environment ${name} still holds ${held}; remove them first, or pass --force to delete them with it`,
        { details: { contents } },
      );
    }
    return (await this.#teardown(name)) ?? contents;
  }

  async #teardown(name: string): Promise<EnvironmentContents | undefined> {
    const { store } = this.#deps;
    const functions = await store.listFunctions(name);
    const removed = await store.deleteEnvironment(name);
    for (const fn of functions) await this.#deps.onRemoved(name, fn.name);
    return removed;
  }

  /**
   * Housekeeping: tears down every environment whose TTL has run out and every function whose `expires:` has
   * passed, each audited as `system` (`env.expire`, `function.expire`). Returns what it tore down.
   */
  async expire(now: number): Promise<{ environments: string[]; functions: string[] }> {
    const { store, audit } = this.#deps;
    const out = { environments: [] as string[], functions: [] as string[] };
    for (const env of await store.listEnvironmentRecords()) {
      if (env.name === PROD || env.expiresAt === null || env.expiresAt > now) continue;
      const removed = await this.#teardown(env.name);
      if (!removed) continue; // removed meanwhile, by a user or another node
      out.environments.push(env.name);
      await audit.record({
        action: "env.expire",
        actor: SYSTEM_ACTOR,
        env: env.name,
        target: env.name,
        before: { ...env, contents: removed },
        details: { reason: `its TTL ran out at ${new Date(env.expiresAt).toISOString()}` },
      });
    }
    for (const env of await store.listEnvironments()) {
      for (const fn of await store.listFunctions(env)) {
        const manifest = fn.manifest ? (JSON.parse(fn.manifest) as Manifest) : undefined;
        const due = functionExpiresAt(manifest?.expires, fn.liveSince);
        if (due === null || due > now) continue;
        if (!(await store.deleteFunction(env, fn.name))) continue;
        await this.#deps.onRemoved(env, fn.name);
        out.functions.push(`${env}/${fn.name}`);
        await audit.record({
          action: "function.expire",
          actor: SYSTEM_ACTOR,
          env,
          function: fn.name,
          target: fn.name,
          before: { version: fn.live },
          details: { reason: `its manifest's expires: passed at ${new Date(due).toISOString()}` },
        });
      }
    }
    if (out.environments.length + out.functions.length > 0) this.#deps.logger.info(out, "tore down what expired");
    return out;
  }
}
