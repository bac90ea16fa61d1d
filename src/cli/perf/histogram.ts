/**
 * A latency histogram with fixed memory and O(1) recording, in the manner of HdrHistogram:
 * values are kept in microseconds, exactly below 1,024 µs and with 512 buckets per power of two
 * above (a bucket is at most 0.2% wide), up to 2^31 µs (36 min). Count, sum, min and max are
 * exact; percentiles are a bucket's midpoint.
 */
const EXACT = 1024;
const SUB_BUCKETS = 512;
const MAX_EXPONENT = 31;
const BUCKETS = EXACT + (MAX_EXPONENT - 10) * SUB_BUCKETS;
const MAX_MICROS = 2 ** MAX_EXPONENT - 1;

function bucketOf(micros: number): number {
  if (micros < EXACT) return micros;
  const exponent = 31 - Math.clz32(micros); // 10 … 30
  const shift = exponent - 9;
  return EXACT + (exponent - 10) * SUB_BUCKETS + ((micros >>> shift) - SUB_BUCKETS);
}

/** The middle of a bucket, in µs. */
function valueOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const exponent = Math.floor((bucket - EXACT) / SUB_BUCKETS) + 10;
  const shift = exponent - 9;
  const low = ((bucket - EXACT) % SUB_BUCKETS) + SUB_BUCKETS;
  return low * 2 ** shift + (2 ** shift - 1) / 2;
}

export interface LatencySummary {
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sumMicros = 0;
  private minMicros = Infinity;
  private maxMicros = 0;

  /** Records one latency in milliseconds (negative values, from clock skew, count as 0). */
  record(milliseconds: number): void {
    let micros = Math.round(milliseconds * 1000);
    if (!(micros > 0)) micros = 0;
    else if (micros > MAX_MICROS) micros = MAX_MICROS;
    this.counts[bucketOf(micros)]!++;
    this.count++;
    this.sumMicros += micros;
    if (micros < this.minMicros) this.minMicros = micros;
    if (micros > this.maxMicros) this.maxMicros = micros;
  }

  /** The latency (ms) below or at which `fraction` of the values are (0 when empty). */
  percentile(fraction: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(fraction * this.count));
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(valueOf(bucket), this.maxMicros) / 1000;
    }
    return this.maxMicros / 1000;
  }

  summary(): LatencySummary {
    const empty = this.count === 0;
    return {
      count: this.count,
      avg: empty ? 0 : this.sumMicros / this.count / 1000,
      min: empty ? 0 : this.minMicros / 1000,
      max: this.maxMicros / 1000,
      p50: this.percentile(0.5),
      p95: this.percentile(0.95),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
    };
  }
}

/** Count, sum and max of the latencies of one reporting window. */
export class LatencyWindow {
  count = 0;
  sum = 0;
  max = 0;

  record(milliseconds: number): void {
    this.count++;
    this.sum += milliseconds;
    if (milliseconds > this.max) this.max = milliseconds;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }
}
