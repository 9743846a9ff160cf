// The NUL-safe spelling of free text for PostgreSQL: exact round trips, and substring search (grep) that never misses
// a match and invents none short of noncharacters, checked exhaustively over short strings of the characters that matter.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nulSafeText, plainText } from "../../src/store/text-codec.ts";

const ALPHABET = ["a", "\0", "\uFDD0", "\uFDD1"];

/** Every string of up to `max` characters drawn from ALPHABET. */
function strings(max: number): string[] {
  let level = [""];
  const all = [""];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => ALPHABET.map((c) => s + c));
    all.push(...level);
  }
  return all;
}

describe("text codecs", () => {
  it("nulSafeText stores no NUL and loads back exactly what it stored", () => {
    for (const s of strings(5)) {
      const stored = nulSafeText.store(s);
      assert.ok(!stored.includes("\0"), JSON.stringify(s));
      assert.equal(nulSafeText.load(stored), s);
    }
    assert.equal(nulSafeText.store("plain text"), "plain text", "text without NUL or the escape is unchanged");
  });

  it("a stored needle is found in a stored text whenever the needle is in the text", () => {
    for (const h of strings(5)) {
      const stored = nulSafeText.store(h);
      for (const n of strings(3)) if (h.includes(n)) assert.ok(stored.includes(nulSafeText.store(n)));
    }
  });

  it("and only then, for any text and needle without the two noncharacters the escape is made of", () => {
    const plain = strings(6).filter((s) => !/[\uFDD0\uFDD1]/.test(s));
    const needles = strings(3).filter((s) => s !== "" && !/[\uFDD0\uFDD1]/.test(s));
    for (const h of plain) {
      const stored = nulSafeText.store(h);
      for (const n of needles) {
        assert.equal(
          stored.includes(nulSafeText.store(n)),
          h.includes(n),
          `${JSON.stringify(n)} in ${JSON.stringify(h)}`,
        );
      }
    }
  });

  it("plainText changes nothing", () => {
    for (const s of strings(3)) assert.equal(plainText.load(plainText.store(s)), s);
  });
});
