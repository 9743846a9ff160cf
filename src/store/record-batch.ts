// What the recorder hands the store: a batch of activations with their log lines, binding-call spans and the rollups
// they add up to, packed as they are recorded. Activations and their lines become chunk bodies at once (see
// json-bytes.ts for why), so a batch waiting for its write holds bytes, not the records.
import { ActivationChunker, linesByActivation, type PackedActivations } from "./activation-chunks.ts";
import { RollupSums } from "./rollup-buckets.ts";
import type { Activation, LogEntry, LogLine, RollupRow, Span } from "./types.ts";

/** A packed batch, written in one transaction (Store.insertBatch). */
export interface RecordBatch {
  /** The activations, each with its lines. */
  activations: PackedActivations<Buffer>;
  spans: Span[];
  /** Rollups commit with the activations they sum, so the two never disagree. */
  rollups: RollupRow[];
  /** How many activations it holds. */
  count: number;
}

/** Packs records as they come; `finish` gives the batch. */
export class BatchBuilder {
  readonly #activations = new ActivationChunker();
  readonly #rollups = new RollupSums();
  readonly #spans: Span[] = [];
  #empty = true;

  /** An activation and the lines it logged. Throws, adding nothing, for an id that is not a UUIDv7. */
  activation(a: Activation, lines?: readonly LogEntry[]): void {
    this.#activations.add(a, lines);
    this.#rollups.add(a);
    this.#empty = false;
  }

  span(s: Span): void {
    this.#spans.push(s);
    this.#empty = false;
  }

  get count(): number {
    return this.#activations.count;
  }

  get empty(): boolean {
    return this.#empty;
  }

  /** The batch. Nothing may be added after. */
  finish(): RecordBatch {
    return {
      activations: this.#activations.finish(),
      spans: this.#spans,
      rollups: this.#rollups.rows(),
      count: this.#activations.count,
    };
  }
}

/**
 * A batch of records packed at once (what Store.insertActivations writes); each line goes with its activation, which
 * must be among `activations`.
 */
export function packRecords(activations: Activation[], logs: LogLine[], spans: Span[] = []): RecordBatch {
  const logged = linesByActivation(activations, logs);
  const batch = new BatchBuilder();
  for (const a of activations) batch.activation(a, logged.get(a.id));
  for (const s of spans) batch.span(s);
  return batch.finish();
}
