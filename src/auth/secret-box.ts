// Seals secrets with AES-256-GCM under the node's master key, so the store only ever holds ciphertext.
// The key comes from PAVE_MASTER_KEY, or from `<dataDir>/master-key` (0600), created on first start.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PaveError } from "../errors.ts";
import type { SealedSecret } from "../store/index.ts";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Standard base64 of exactly 32 bytes: 43 characters and one `=`. */
const KEY_TEXT = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export interface SecretBoxOptions {
  /** Where `PAVE_MASTER_KEY` is read from: injected (the server passes process.env), never read deep inside. */
  env: Record<string, string | undefined>;
  /** The data directory that holds `master-key` when `PAVE_MASTER_KEY` is not set. */
  dataDir: string;
}

/**
 * Seals and opens secret values. The additional authenticated data is `${env}/${name}`, so a ciphertext copied to
 * another name or environment does not open.
 * @example
 * const box = await SecretBox.load({ env: process.env, dataDir: ".pave" });
 * const sealed = box.seal("prod", "STRIPE_KEY", "sk_live_…");
 * box.open("prod", "STRIPE_KEY", sealed); // "sk_live_…"
 */
export class SecretBox {
  /** First 16 hex characters of SHA-256(key): names the key in every sealed secret, never reveals it. */
  readonly keyId: string;
  /** `PAVE_MASTER_KEY` or the key file's path, for the startup log. */
  readonly source: string;
  readonly #key: Buffer;

  constructor(key: Uint8Array, source: string) {
    if (key.byteLength !== KEY_BYTES) {
      throw new PaveError("InvalidConfig", `a master key is ${KEY_BYTES} bytes; this one has ${key.byteLength}`);
    }
    this.#key = Buffer.from(key);
    this.keyId = createHash("sha256").update(this.#key).digest("hex").slice(0, 16);
    this.source = source;
  }

  /**
   * The master key from `PAVE_MASTER_KEY` (base64 of 32 bytes) or else from `<dataDir>/master-key`, which is
   * created (32 random bytes, base64, mode 0600) when missing. Throws InvalidConfig for a malformed key.
   */
  static async load(opts: SecretBoxOptions): Promise<SecretBox> {
    const fromEnv = opts.env.PAVE_MASTER_KEY;
    if (fromEnv !== undefined) return new SecretBox(parseKey(fromEnv, "PAVE_MASTER_KEY"), "PAVE_MASTER_KEY");
    const file = join(opts.dataDir, "master-key");
    return new SecretBox(parseKey(await readOrCreateKeyFile(file), `the master key file ${file}`), file);
  }

  /** Encrypts `plaintext` for the secret `name` of `env` with a fresh random IV. */
  seal(env: string, name: string, plaintext: string): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(env, name));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return { keyId: this.keyId, iv: bytes(iv), ciphertext: bytes(ciphertext), tag: bytes(cipher.getAuthTag()) };
  }

  /** Decrypts a secret sealed for `name` of `env`; throws SecretUndecryptable for another key, name or altered bytes. */
  open(env: string, name: string, sealed: SealedSecret): string {
    if (sealed.keyId !== this.keyId) {
      throw new PaveError(
        "SecretUndecryptable",
        `secret ${name} in ${env} was sealed with master key ${sealed.keyId}, but this server's key is ${this.keyId}`,
      );
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, sealed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(env, name));
      decipher.setAuthTag(sealed.tag);
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString("utf8");
    } catch (cause) {
      throw new PaveError(
        "SecretUndecryptable",
        `secret ${name} in ${env} does not open with master key ${this.keyId}: its stored bytes were altered or belong to another secret`,
        { cause },
      );
    }
  }
}

function aad(env: string, name: string): Buffer {
  return Buffer.from(`${env}/${name}`, "utf8");
}

/** A plain Uint8Array copy, as the store's records hold. */
function bytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf);
}

/** Decodes a base64 master key; the message never repeats the text, which may be most of a real key. */
function parseKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (!KEY_TEXT.test(trimmed)) {
    throw new PaveError(
      "InvalidConfig",
      `${where} must be the base64 of ${KEY_BYTES} random bytes (44 characters ending in "="; make one with \`openssl rand -base64 32\`), found ${trimmed.length} characters that are not one`,
    );
  }
  return Buffer.from(trimmed, "base64");
}

async function readOrCreateKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  try {
    // `wx`: when two processes start on one data directory at once, exactly one key wins and both use it.
    await writeFile(file, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFile(file, "utf8");
}
