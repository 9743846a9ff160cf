import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHello } from "./bench/hello.ts";
import { bundleEntry } from "./src/deploy/bundle.ts";
import { Runtime } from "./src/runtime/index.ts";

const dir = await mkdtemp(join(tmpdir(), "x-"));
await writeHello(dir);
const bundle = await bundleEntry(dir, "index.ts");
const v = { env: "b", function: "h", id: "v1", memoryMb: 128, timeoutMs: 5000, concurrency: 64, bundle };
const rt = await Runtime.start();
await rt.prepare(v);
const input = {
  kind: "http",
  url: "http://localhost/",
  http: {
    method: "GET",
    path: "/",
    rawQuery: "",
    headers: [
      ["host", "localhost"],
      ["user-agent", "autocannon"],
      ["accept", "*/*"],
    ],
    body: null,
    sourceIp: "127.0.0.1",
    host: "localhost",
    requestId: "",
    startedAt: 0,
  },
} as const;
let n = 0;
async function one() {
  const meta = {
    id: String(n++),
    functionName: "h",
    functionVersion: "v1",
    memoryMb: 128,
    deadline: Date.now() + 5000,
  };
  const c = await rt.invoke(v, input, meta);
  await c.result;
  await c.report;
}
for (let i = 0; i < 2000; i++) await Promise.all(Array.from({ length: 16 }, one));
const N = 40000;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < N / 16; i++) await Promise.all(Array.from({ length: 16 }, one));
const wall = performance.now() - t0;
const cpu = process.cpuUsage(c0);
console.log(
  `wall ${((wall * 1000) / N).toFixed(1)} µs/inv, cpu user ${(cpu.user / N).toFixed(1)} sys ${(cpu.system / N).toFixed(1)} µs/inv, ${((N / wall) * 1000).toFixed(0)}/s`,
);
process.exit(0);
