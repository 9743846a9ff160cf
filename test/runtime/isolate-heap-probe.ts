// Run by isolate-heap.test.ts in a Node of its own (the flag under test is process-wide): grows an isolate's heap with
// objects it keeps, then prints the largest total heap it reached, in bytes. `raw` makes the isolate with isolated-vm
// directly instead of through newIsolate.
import ivm from "isolated-vm";
import { newIsolate } from "../../src/runtime/isolate-heap.ts";

const isolate = process.argv[2] === "raw" ? new ivm.Isolate({ memoryLimit: 128 }) : newIsolate(128);
const context = isolate.createContextSync();
context.evalSync(`globalThis.kept = [];
globalThis.grow = () => { for (let i = 0; i < 20000; i++) kept.push({ i, s: "x" + i }); };`);
let largest = 0;
for (let step = 0; step < 40; step++) {
  context.evalSync("grow()");
  largest = Math.max(largest, isolate.getHeapStatisticsSync().total_heap_size);
}
isolate.dispose();
console.log(largest);
