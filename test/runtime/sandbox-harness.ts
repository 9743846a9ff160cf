// Runs snippets of function code in real isolates through `Runtime`, for the Web API tests: each snippet is the body
// of an async Lambda-style handler, and what it returns comes back as JSON. No mocks: the real sandbox and bridges.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleEntry } from "../../src/deploy/bundle.ts";
import { type LogEntry, Runtime, type RuntimeResult, type VersionCode } from "../../src/runtime/index.ts";

export interface Harness {
  /** Runs `body` as the body of `async (event) => { … }` and returns its JSON result. */
  evaluate(body: string, event?: unknown): Promise<unknown>;
  /** Same, with the activation's log lines too. */
  evaluateWithLogs(body: string, event?: unknown): Promise<{ value: unknown; logs: LogEntry[] }>;
  /** Deploys a whole module and invokes it directly with `event`. */
  invoke(source: string, event?: unknown): Promise<{ result: RuntimeResult; logs: LogEntry[] }>;
  close(): void;
}

export async function startHarness(): Promise<Harness> {
  const rt = await Runtime.start();
  const dir = mkdtempSync(join(tmpdir(), "pave-web-apis-"));
  let seq = 0;

  const invoke = async (source: string, event: unknown = null) => {
    const name = `fn${++seq}`;
    writeFileSync(join(dir, `${name}.ts`), source);
    const v: VersionCode = {
      env: "test",
      function: name,
      id: "v1",
      memoryMb: 64,
      timeoutMs: 3000,
      concurrency: 4,
      bundle: await bundleEntry(dir, `${name}.ts`),
    };
    const meta = {
      id: randomUUID(),
      functionName: name,
      functionVersion: "v1",
      memoryMb: 64,
      deadline: Date.now() + 3000,
    };
    const call = await rt.invoke(v, { kind: "direct", payload: event }, meta);
    const result = await call.result;
    const report = await call.report;
    return { result, logs: report.logs };
  };

  const evaluateWithLogs = async (body: string, event?: unknown) => {
    const { result, logs } = await invoke(`export const handler = async (event) => {\n${body}\n};`, event);
    assert.equal(result.kind, "value", `the snippet failed: ${JSON.stringify(result)}\n${JSON.stringify(logs)}`);
    return { value: (result as { value: unknown }).value, logs };
  };

  return {
    evaluate: async (body, event) => (await evaluateWithLogs(body, event)).value,
    evaluateWithLogs,
    invoke,
    close: () => {
      rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
