// How free text (log messages, error and span messages) is spelled in a database that cannot hold every character.
// PostgreSQL text cannot hold NUL, yet a function may log anything: this escape keeps it exact and still greppable.

/** A reversible spelling of free text for one database; `store` also spells grep needles, so LIKE still matches. */
export interface TextCodec {
  store(text: string): string;
  load(text: string): string;
}

/** For databases that hold any string (SQLite). */
export const plainText: TextCodec = { store: (t) => t, load: (t) => t };

// Two Unicode noncharacters, reserved for a program's internal use and absent from real logs. ESC escapes itself
// (ESC ESC) and NUL (ESC NUL_MARK). The spelling is per character, so a grep never misses a line; and as long as
// neither the line nor the needle holds one of these two noncharacters, every ESC in the stored line starts an escape
// and NUL_MARK only ends one, so a needle (NUL included) matches only whole characters and finds nothing extra.
const ESC = "\uFDD0";
const NUL_MARK = "\uFDD1";
const NEEDS_STORE = /[\0\uFDD0]/;
const STORED = /\uFDD0[\uFDD0\uFDD1]/g;

/** For PostgreSQL: NUL and the escape itself are escaped; everything else (the common case) is unchanged. */
export const nulSafeText: TextCodec = {
  store: (t) => (NEEDS_STORE.test(t) ? t.replace(/[\0\uFDD0]/g, (c) => (c === ESC ? ESC + ESC : ESC + NUL_MARK)) : t),
  load: (t) => (t.includes(ESC) ? t.replace(STORED, (s) => (s === ESC + ESC ? ESC : "\0")) : t),
};
