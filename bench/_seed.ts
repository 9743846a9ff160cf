import { measureQueries } from "./queries.ts";

const n = Number(process.argv[2] ?? 200000);
console.log(await measureQueries(process.argv[3]!, { activations: n, lines: n, otherLines: n / 5, runs: 1 }));
