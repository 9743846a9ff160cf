// A line-based unified diff (Myers' O(ND) algorithm), for `pave diff` of two versions' bundles. Written here because
// the `diff` package is not a dependency and the need is small: common ends trimmed, then Myers on the middle.

type Op = { kind: " " | "-" | "+"; line: string };

/** Beyond this many differing lines the middle is shown as removed then added: Myers' trace would cost O(N·D). */
const MAX_EDITS = 4000;

/** A unified diff of two texts with `context` lines around each change; empty when they are equal. */
export function unifiedDiff(a: string, b: string, labels: { from: string; to: string }, context = 3): string {
  if (a === b) return "";
  const ops = diffLines(split(a), split(b));
  const hunks = toHunks(ops, context);
  return [`--- ${labels.from}`, `+++ ${labels.to}`, ...hunks].join("\n");
}

function split(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const same = (lines: string[]): Op[] => lines.map((line) => ({ kind: " ", line }));
  const middle = myers(a.slice(start, endA), b.slice(start, endB));
  return [...same(a.slice(0, start)), ...middle, ...same(a.slice(endA))];
}

/** Myers' greedy shortest edit script, with the V array kept per step so the path can be walked back. */
function myers(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found === -1; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && (next[offset + k - 1] as number) < (next[offset + k + 1] as number))
          ? (next[offset + k + 1] as number)
          : (next[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
  }
  if (found === -1) {
    return [...a.map((line): Op => ({ kind: "-", line })), ...b.map((line): Op => ({ kind: "+", line }))];
  }
  // Walk back from (n, m) through the recorded V arrays, collecting the edit script in reverse.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (prev[offset + k - 1] as number) < (prev[offset + k + 1] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = prev[offset + prevK] as number;
    const prevY = prevX - prevK;
    while (x > (down ? prevX : prevX + 1) && y > (down ? prevY + 1 : prevY)) {
      ops.push({ kind: " ", line: a[--x] as string });
      y--;
    }
    if (down) ops.push({ kind: "+", line: b[--y] as string });
    else ops.push({ kind: "-", line: a[--x] as string });
  }
  while (x > 0 && y > 0) {
    ops.push({ kind: " ", line: a[--x] as string });
    y--;
  }
  return ops.reverse();
}

function toHunks(ops: Op[], context: number): string[] {
  const out: string[] = [];
  // Line numbers (1-based) in a and b before each op.
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const op of ops) {
    posA.push(la);
    posB.push(lb);
    if (op.kind !== "+") la++;
    if (op.kind !== "-") lb++;
  }
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === " ") i++;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    // Extend over changes whose context windows touch.
    for (let j = i; j < ops.length; j++) {
      if (ops[j]?.kind !== " ") end = j;
      else if (j - end > 2 * context) break;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const slice = ops.slice(start, stop);
    const countA = slice.filter((o) => o.kind !== "+").length;
    const countB = slice.filter((o) => o.kind !== "-").length;
    const fromA = countA === 0 ? (posA[start] as number) - 1 : (posA[start] as number);
    const fromB = countB === 0 ? (posB[start] as number) - 1 : (posB[start] as number);
    out.push(`@@ -${fromA},${countA} +${fromB},${countB} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
    i = stop;
  }
  return out;
}
