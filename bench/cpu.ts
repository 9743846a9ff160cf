// CPU time per request, from /proc: a server's busiest thread and all its threads over one load turn. Requests per
// second on this kind of VM swing with the neighbours (raw node:http has measured anywhere from 14k to 40k req/s);
// CPU time per request barely moves, and the busiest thread's share is what bounds a server's throughput.
import { readdirSync, readFileSync } from "node:fs";

export interface CpuFigures {
  /** CPU µs per request of the server's busiest thread (Pave's gateway thread, raw node:http's only one). */
  busiestThreadUs: number;
  /** CPU µs per request of all its threads together (the isolates', the activation writer's, GC helpers'…). */
  allThreadsUs: number;
}

/** Each thread's CPU time so far (user + system, in clock ticks); undefined where there is no /proc. */
export type CpuSnapshot = Map<string, number> | undefined;

/** Linux's USER_HZ: /proc/…/stat counts CPU time in hundredths of a second on every architecture Node runs on. */
const TICK_US = 10_000;

export function cpuSnapshot(pid: number | undefined): CpuSnapshot {
  if (pid === undefined) return undefined;
  try {
    const ticks = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      // The command name is in parentheses and may hold spaces: the fields that follow it are counted from there.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(tid, Number(fields[11]) + Number(fields[12]));
    }
    return ticks;
  } catch {
    return undefined;
  }
}

/** What the threads spent between two snapshots, per request; a thread that came or went counts what was seen. */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuFigures | undefined {
  if (!before || !after || requests === 0) return undefined;
  let busiest = 0;
  let all = 0;
  for (const [tid, ticks] of after) {
    const spent = ticks - (before.get(tid) ?? 0);
    busiest = Math.max(busiest, spent);
    all += spent;
  }
  const perRequest = (t: number) => Math.round((t * TICK_US * 10) / requests) / 10;
  return { busiestThreadUs: perRequest(busiest), allThreadsUs: perRequest(all) };
}
