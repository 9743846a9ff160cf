// `pave up`: starts a node in this process, writes the local CLI config, and with --demo deploys the hello
// example and prints where to look.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { totalmem } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { type Command, InvalidArgumentError, Option } from "commander";
import { configPath, PaveClient } from "../client/index.ts";
import { dataOption, parseDuration, parseMemorySize, poolFrom, poolSize, storeFrom, storeOption } from "./options.ts";

const DEMO_DIR = fileURLToPath(new URL("../../examples/hello", import.meta.url));

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("start a Pave server (embedded SQLite by default)")
    .option("--port <port>", "port to listen on", "8700")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .addOption(dataOption())
    .addOption(storeOption())
    .option(
      "--store-pool <n>",
      "PostgreSQL connections this node pools, 1-1000 (default: PAVE_STORE_POOL, else 10)",
      poolSize,
    )
    .option("--demo", "deploy the hello example and print a quick start")
    .option("--log-level <level>", "server log level", "info")
    .option(
      "--idle-ttl <duration>",
      "how long an idle instance stays warm, e.g. 30s or 5m (default: 5m)",
      parseDuration,
    )
    .option(
      "--memory-budget <size>",
      "most memory instances may hold, as the sum of their limits: 4096, 512m, 4g or 50% (default: 50%)",
      (v: string) => parseMemorySize(v, totalmem() / 1024 / 1024),
    )
    .option(
      "--retention <duration>",
      "how long activations and their logs are kept, e.g. 7d (default: 30d)",
      parseDuration,
    )
    .option(
      "--rollup-retention <duration>",
      "how long the per-minute rollups behind metrics and `pave top` are kept, e.g. 365d (default: 90d)",
      parseDuration,
    )
    // Benchmarks only (npm run bench compares the gateway with recording on and off); hidden from --help.
    .addOption(new Option("--no-record", "run invocations without recording them").hideHelp())
    .option("--max-activations <n>", "most activations kept; the oldest beyond go (default: 1000000)", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("Expected a whole number of at least 1.");
      return n;
    })
    .option(
      "--otlp-endpoint <url>",
      "export spans over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318 (default: PAVE_OTLP_ENDPOINT)",
    )
    .action(
      async (opts: {
        port: string;
        host: string;
        data: string;
        store?: string;
        storePool?: number;
        demo?: boolean;
        logLevel: string;
        idleTtl?: number;
        memoryBudget?: number;
        retention?: number;
        rollupRetention?: number;
        maxActivations?: number;
        record: boolean;
        otlpEndpoint?: string;
      }) => {
        // V8 "pretenures" an allocation site once objects from it survive young collections often: it allocates them in
        // the old generation from then on. A gateway's objects live for one request, yet the few in flight at each
        // young collection were enough to tenure their sites; those old objects then kept young ones alive past their
        // request, which were promoted in turn: 1.3–1.9 KB per request (raw node:http: none), young collections of
        // ~3.5 ms, 5–7 µs per request. Without it: under 1 µs, and ~8% more gateway throughput under load (measured
        // with --trace-gc-nvp and autocannon). Set before the server loads, so that no site is tenured first; it holds
        // for the isolates too.
        setFlagsFromString("--no-allocation-site-pretenuring");
        // Loaded here, not at the top: the server's module graph (runtime, fastify, esbuild) would otherwise slow
        // down the start of every other command by about a second.
        const { createLogger } = await import("../logger.ts");
        const { startServer } = await import("../server.ts");
        const env = process.env;
        const server = await startServer({
          host: opts.host,
          port: Number(opts.port),
          dataDir: opts.data,
          logger: createLogger(opts.logLevel),
          ...(!opts.record && { record: false }),
          ...(opts.idleTtl !== undefined && { idleTtlMs: opts.idleTtl }),
          ...(opts.memoryBudget !== undefined && { memoryBudgetMb: opts.memoryBudget }),
          retention: {
            ...(opts.retention !== undefined && { maxAgeMs: opts.retention }),
            ...(opts.maxActivations !== undefined && { maxActivations: opts.maxActivations }),
            ...(opts.rollupRetention !== undefined && { rollupMaxAgeMs: opts.rollupRetention }),
          },
          ...(storeFrom(opts, env) && { store: storeFrom(opts, env) }),
          ...(poolFrom(opts, env) !== undefined && { storePool: poolFrom(opts, env) }),
          // PAVE_OTLP_ENDPOINT is read by the server from the environment it is given.
          ...(opts.otlpEndpoint !== undefined && { otlp: { endpoint: opts.otlpEndpoint } }),
        });
        const file = configPath(env);
        if (server.adminToken) {
          await mkdir(dirname(file), { recursive: true, mode: 0o700 });
          await writeFile(file, `${JSON.stringify({ url: server.url, token: server.adminToken }, null, 2)}\n`, {
            mode: 0o600,
          });
          await chmod(file, 0o600);
        }
        let demo = "";
        if (opts.demo) {
          const client = new PaveClient({ url: server.url, token: server.adminToken });
          const out = await client.deploy(DEMO_DIR);
          demo = `  demo function: hello (version ${out.version.id}${out.changed ? "" : ", unchanged"})\n`;
        }
        const rel = relative(process.cwd(), server.adminTokenFile);
        const tokenPath = rel.startsWith("..") ? server.adminTokenFile : rel;
        process.stdout.write(
          [
            "",
            `Pave is up at ${server.url}`,
            `  data:        ${server.dataDir} (${server.store.kind})`,
            `  admin token: ${tokenPath} (the CLI reads it from ${file})`,
            demo.trimEnd(),
            "",
            "Try:",
            `  curl '${server.url}/fn/hello/?name=you'`,
            '  npx pave invoke hello --data \'{"name":"you"}\'',
            "  npx pave activations hello",
            "  npx pave logs hello --follow",
            "  npx pave deploy examples/lambda-api",
            "",
            `Docs: ${join("docs", "tutorial.md")} · API: ${server.url}/api/v1/openapi.json · Ctrl-C stops the server.`,
            "",
          ]
            .filter((l, i, a) => !(l === "" && a[i - 1] === ""))
            .join("\n"),
        );
        const stop = async () => {
          process.stdout.write("\nstopping…\n");
          await server.close();
          process.exit(0);
        };
        process.once("SIGINT", () => void stop());
        process.once("SIGTERM", () => void stop());
      },
    );
}
