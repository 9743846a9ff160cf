// Options shared by several commands (--env, --limit), with parsers that reject bad values up front, so a
// mistake is a usage error (exit 2) and never reaches the server.
import { InvalidArgumentError, Option } from "commander";

export function envOption(): Option {
  return new Option("--env <env>", "environment").default("prod");
}

export function limitOption(max: number, what: string): Option {
  return new Option("--limit <n>", `how many ${what} to show (1-${max})`).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`Expected a whole number from 1 to ${max}.`);
    return n;
  });
}
