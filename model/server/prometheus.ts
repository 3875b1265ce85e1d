/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters and histograms with
 * labels, enough for the scoring server's /metrics without a dependency.
 *
 * Hot path: a caller looks a label set up once ({@link Counter.series}, {@link Histogram.series})
 * and keeps the returned series; counting is then a field increment, with no label formatting or
 * map lookup per request.
 */

type Labels = Record<string, string | number>;

/** At most this many label sets per metric: a bound on memory if labels ever came from input. */
const MAX_SERIES = 10_000;

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

/** Label sets are looked up by their formatted text, in the order the labels were given. */
function seriesOf<S>(map: Map<string, S>, labels: Labels, create: (text: string) => S): S {
  const text = formatLabels(labels);
  let s = map.get(text);
  if (s === undefined) {
    s = create(text);
    if (map.size < MAX_SERIES) map.set(text, s);
  }
  return s;
}

/** One label set of a counter. */
export class CounterSeries {
  value = 0;
  constructor(readonly labelText: string) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter {
  private readonly values = new Map<string, CounterSeries>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The series for `labels`, created on first use; keep it to count without a lookup. */
  series(labels: Labels = {}): CounterSeries {
    return seriesOf(this.values, labels, (text) => new CounterSeries(text));
  }

  inc(labels: Labels = {}, by = 1): void {
    this.series(labels).inc(by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(formatLabels(labels))?.value ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.values.values()) lines.push(`${this.name}${s.labelText} ${s.value}`);
    return lines.join('\n');
  }
}

/** One label set of a histogram: a count per bucket (not cumulative; summed when rendered). */
export class HistogramSeries {
  /** counts[i]: observations in (buckets[i-1], buckets[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Labels,
    private readonly buckets: Float64Array,
  ) {
    this.counts = new Float64Array(buckets.length + 1);
  }

  observe(value: number): void {
    const { buckets } = this;
    let i = 0;
    while (i < buckets.length && value > buckets[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class Histogram {
  private readonly values = new Map<string, HistogramSeries>();
  private readonly bounds: Float64Array;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.bounds = Float64Array.from(buckets);
  }

  /** The series for `labels`, created on first use; keep it to observe without a lookup. */
  series(labels: Labels = {}): HistogramSeries {
    return seriesOf(this.values, labels, () => new HistogramSeries(labels, this.bounds));
  }

  observe(value: number, labels: Labels = {}): void {
    this.series(labels).observe(value);
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.values.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += s.counts[i]!;
        lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: bound })} ${cumulative}`);
      });
      lines.push(`${this.name}_bucket${formatLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${formatLabels(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${formatLabels(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** A gauge whose samples are computed when scraped. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly sample: () => Array<[Labels, number]>,
  ) {}

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.sample()) lines.push(`${this.name}${formatLabels(labels)} ${value}`);
    return lines.join('\n');
  }
}

/** Renders metrics in registration order. */
export function renderMetrics(metrics: ReadonlyArray<Counter | Histogram | Gauge>): string {
  return `${metrics.map((m) => m.render()).join('\n')}\n`;
}
