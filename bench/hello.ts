// The benchmark's function: a web-standard hello answering JSON, written to a directory as a user would write it.
// The in-process runtime figures and the HTTP figures both run this same code.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export const HELLO_BODY = '{"message":"hello"}';

const MANIFEST = `name: hello
entry: index.ts
memory: 128
timeout: 5s
concurrency: 64
`;

const HANDLER = `export default {
  fetch() {
    return new Response('${HELLO_BODY}', { headers: { "content-type": "application/json" } });
  },
};
`;

/** Writes pave.yaml and index.ts into `dir` (which must exist). */
export async function writeHello(dir: string): Promise<void> {
  await writeFile(join(dir, "pave.yaml"), MANIFEST);
  await writeFile(join(dir, "index.ts"), HANDLER);
}

const LOGGING_MANIFEST = `name: hello-log
entry: index.ts
memory: 128
timeout: 5s
concurrency: 64
`;

/** hello, plus one structured log line per request: what the recording-cost figure records (line, fields, trace). */
const LOGGING_HANDLER = `export default {
  fetch(request) {
    console.log("hello", { method: request.method });
    return new Response('${HELLO_BODY}', { headers: { "content-type": "application/json" } });
  },
};
`;

/** Writes the logging hello (function `hello-log`) into `dir` (which must exist). */
export async function writeLoggingHello(dir: string): Promise<void> {
  await writeFile(join(dir, "pave.yaml"), LOGGING_MANIFEST);
  await writeFile(join(dir, "index.ts"), LOGGING_HANDLER);
}
