// Metrics counted on every invocation, as plain numbers behind handles that prom-client renders at scrape time.
// prom-client hashes the label set on each inc() and observe(), even through a `labels()` child: with four updates
// per request that was ~5% of the gateway's thread. Here an update is an addition; labels are handled per scrape.
import {
  type CollectFunction,
  Counter,
  type Histogram,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from "prom-client";

type Labels = Record<string, string>;

const NOTHING: CollectFunction<unknown> = () => {};

/** One labelled counter's running total. */
export interface CounterCell {
  value: number;
}

/** A family's series by key: each its labels and its cell, made on first use. */
class Series<C> {
  readonly entries = new Map<string, { labels: Labels; cell: C }>();
  readonly #make: () => C;

  constructor(make: () => C) {
    this.#make = make;
  }

  /** The cell of these labels; `key` must identify them. */
  cell(key: string, labels: Labels): C {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { labels, cell: this.#make() };
      this.entries.set(key, entry);
    }
    return entry.cell;
  }
}

/** A prom-client Counter whose series are cells the caller adds to; it reads them when scraped. */
export class CounterFamily {
  readonly #series = new Series<CounterCell>(() => ({ value: 0 }));

  constructor(options: { name: string; help: string; labelNames: string[]; registers: Registry[] }) {
    const series = this.#series;
    new Counter({
      ...options,
      collect() {
        this.reset();
        for (const { labels, cell } of series.entries.values()) if (cell.value > 0) this.inc(labels, cell.value);
      },
    });
  }

  cell(key: string, labels: Labels): CounterCell {
    return this.#series.cell(key, labels);
  }
}

/** One labelled histogram series: counts per bucket (not cumulative), their sum and count. */
export class HistogramCell {
  readonly #bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    // The last slot is +Inf.
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/**
 * A histogram in Prometheus' exposition, rendered by prom-client's registry from get() like its own metrics. Buckets
 * are upper bounds (`le`), cumulative when rendered, ending with +Inf.
 */
export class HistogramFamily {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly #bounds: readonly number[];
  readonly #series: Series<HistogramCell>;

  constructor(options: { name: string; help: string; buckets: number[]; registers: Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    const bounds = [...options.buckets].sort((a, b) => a - b);
    this.#bounds = bounds;
    this.#series = new Series(() => new HistogramCell(bounds));
    // The registry takes any metric with a name and get(); its type names only prom-client's own classes.
    for (const r of options.registers) r.registerMetric(this as unknown as Histogram);
  }

  cell(key: string, labels: Labels): HistogramCell {
    return this.#series.cell(key, labels);
  }

  get(): MetricObjectWithValues<MetricValueWithName<string>> {
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, cell } of this.#series.entries.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.#bounds.length; i++) {
        cumulative += cell.counts[i] as number;
        const le = i < this.#bounds.length ? (this.#bounds[i] as number) : "+Inf";
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: cell.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type as never,
      values,
      aggregator: this.aggregator,
      collect: NOTHING,
    };
  }

  /** Zeroes every series (handles stay valid). */
  reset(): void {
    for (const { cell } of this.#series.entries.values()) {
      cell.counts.fill(0);
      cell.sum = 0;
      cell.count = 0;
    }
  }
}
