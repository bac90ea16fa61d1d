/**
 * The two producers of the compaction benchmark, both on Tidelog's own client (one Connection,
 * Produce requests built here) so that what is timed is one request and its answer, with no
 * client-side batching, lingering or retries in between:
 *
 * - fill(): writes a large volume of keyed records to one partition as fast as the broker takes
 *   them, in big batches with a few requests in flight.
 * - ProduceProbe: one record per request at a fixed rate to each target, on a connection of
 *   its own per target (a broker answers one connection's requests in order, so a shared
 *   connection would let a stall on one partition delay the other). Sends are scheduled
 *   open-loop and never wait for earlier answers, and latency is counted from the scheduled
 *   time, so a broker stall shows in full rather than being hidden by a paused sender.
 */
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch, type RecordInput } from '../../src/protocol/records/index.js';
import { Connection } from '../../src/client/connection.js';
import { brokerError } from '../../src/client/errors.js';
import { Payloads } from '../payload.js';
import { percentile } from '../stats.js';

export interface Target {
  topic: string;
  partition: number;
}

/** Keys of equal length, so that every update of a key is the same size as the record it replaces. */
function keyOf(index: number): string {
  return `key-${index.toString().padStart(9, '0')}`;
}

function randomKey(keys: number): string {
  return keyOf(Math.floor(Math.random() * keys));
}

/** Connects to a single broker at host:port. A stall must read as latency, not as a timeout: hence the long request timeout. */
export function connectTo(address: string): Promise<Connection> {
  const [host, port] = address.split(':');
  return Connection.connect({ host: host!, port: Number(port), clientId: 'tidelog-bench-compaction', requestTimeoutMs: 600_000 });
}

/** One Produce request with acks=1 for one batch; rejects on a partition error. */
async function produceBatch(connection: Connection, target: Target, batch: Buffer): Promise<void> {
  const response = await connection.send(produce, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 30_000,
    topicData: [{ name: target.topic, partitionData: [{ index: target.partition, records: batch }] }],
  });
  const answer = response.responses[0]?.partitionResponses[0];
  if (!answer) throw new Error(`produce to ${target.topic}-${target.partition}: no partition in the answer`);
  if (answer.errorCode !== ErrorCode.NONE) throw brokerError(answer.errorCode, `produce to ${target.topic}-${target.partition}`, answer.errorMessage);
}

export interface FillSettings {
  valueBytes: number;
  keys: number;
  tombstones: number;
  recordBytes: number;
}

export interface FillResult {
  records: number;
  tombstones: number;
  /** Bytes of record values and keys sent: what the log holds before framing. */
  bytes: number;
  seconds: number;
}

/** Half of message.max.bytes' default (1 MiB): large enough that per-request costs vanish, well inside the limit. */
const FILL_BATCH_BYTES = 512 * 1024;
/** Enough requests in flight to keep the broker busy while the next batch is built. */
const FILL_IN_FLIGHT = 4;

/** Writes `valueBytes` of values to `target` (each record an update of one of `keys` keys, or a tombstone). */
export async function fill(connection: Connection, target: Target, s: FillSettings, progress: (bytes: number) => void): Promise<FillResult> {
  const payloads = new Payloads(s.recordBytes);
  const perBatch = Math.max(1, Math.floor(FILL_BATCH_BYTES / (s.recordBytes + keyOf(0).length)));
  const started = performance.now();
  const result: FillResult = { records: 0, tombstones: 0, bytes: 0, seconds: 0 };
  let values = 0;
  const inFlight = new Set<Promise<void>>();
  while (values < s.valueBytes) {
    const records: RecordInput[] = [];
    for (let i = 0; i < perBatch && values < s.valueBytes; i++) {
      const key = randomKey(s.keys);
      const tombstone = Math.random() < s.tombstones;
      records.push({ key, value: tombstone ? null : payloads.next() });
      result.records++;
      if (tombstone) result.tombstones++;
      // A tombstone counts as a record's worth so that the fill ends at a predictable count.
      values += s.recordBytes;
      result.bytes += key.length + (tombstone ? 0 : s.recordBytes);
    }
    const request: Promise<void> = produceBatch(connection, target, buildRecordBatch({ records })).finally(() => inFlight.delete(request));
    // Observed here so that a failure of a request nobody races any more is not an unhandled rejection.
    request.catch(() => undefined);
    inFlight.add(request);
    if (inFlight.size >= FILL_IN_FLIGHT) {
      await Promise.race(inFlight);
      progress(values);
    }
  }
  await Promise.all(inFlight);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** What happened to the probe's records to one target, in send order (which is also answer order). */
interface ProbeLog {
  readonly target: Target;
  readonly connection: Connection;
  /** Epoch milliseconds at which each request was due. */
  readonly dueAt: number[];
  /** From due time to answer, milliseconds; NaN for a failed request. */
  readonly latencyMs: number[];
  /** Epoch milliseconds of each answer (or failure). */
  readonly answeredAt: number[];
  /** How late the probe itself sent each request: its own share of the latency. */
  readonly sendLagMs: number[];
  errors: number;
  firstError: string | undefined;
  pending: Set<Promise<void>>;
}

export interface WindowStats {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** The longest time without any answer on this connection while the window was open. */
  longestGapMs: number;
  /** The probe's own worst lateness in sending: a large value means the probe, not the broker, stalled. */
  maxSendLagMs: number;
}

/** performance.now() on the wall clock, so probe times line up with the broker's log timestamps. */
const epochOf = (perfMs: number): number => performance.timeOrigin + perfMs;

/** How often the scheduler wakes to send what is due; at 1,000/s that is one or two records a turn. */
const TICK_MS = 1;

export class ProduceProbe {
  private readonly logs: ProbeLog[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly payloads: Payloads;

  private constructor(
    logs: ProbeLog[],
    private readonly rate: number,
    private readonly keys: number,
    recordBytes: number,
  ) {
    this.logs = logs;
    this.payloads = new Payloads(recordBytes);
  }

  /** Connects once per target and starts sending `rate` records per second to each. */
  static async start(address: string, targets: readonly Target[], rate: number, keys: number, recordBytes: number): Promise<ProduceProbe> {
    const logs: ProbeLog[] = [];
    try {
      for (const target of targets) {
        logs.push({
          target,
          connection: await connectTo(address),
          dueAt: [],
          latencyMs: [],
          answeredAt: [],
          sendLagMs: [],
          errors: 0,
          firstError: undefined,
          pending: new Set(),
        });
      }
    } catch (error) {
      for (const log of logs) log.connection.destroy();
      throw error;
    }
    const probe = new ProduceProbe(logs, rate, keys, recordBytes);
    probe.run();
    return probe;
  }

  private run(): void {
    const start = performance.now();
    const intervalMs = 1000 / this.rate;
    let sent = 0;
    const tick = (): void => {
      const now = performance.now();
      // Everything due by now goes out at once: a late tick catches up instead of shifting the schedule.
      for (; start + sent * intervalMs <= now; sent++) {
        const due = start + sent * intervalMs;
        for (const log of this.logs) this.send(log, due);
      }
      if (!this.stopped) this.timer = setTimeout(tick, TICK_MS);
    };
    tick();
  }

  private send(log: ProbeLog, due: number): void {
    const index = log.dueAt.length;
    log.dueAt.push(epochOf(due));
    log.sendLagMs.push(performance.now() - due);
    log.latencyMs.push(NaN);
    log.answeredAt.push(NaN);
    const batch = buildRecordBatch({ records: [{ key: randomKey(this.keys), value: this.payloads.next() }] });
    const request: Promise<void> = produceBatch(log.connection, log.target, batch).then(
      () => {
        const answered = performance.now();
        log.latencyMs[index] = answered - due;
        log.answeredAt[index] = epochOf(answered);
      },
      (error: unknown) => {
        log.answeredAt[index] = epochOf(performance.now());
        log.errors++;
        log.firstError ??= error instanceof Error ? error.message : String(error);
      },
    ).finally(() => log.pending.delete(request));
    log.pending.add(request);
  }

  /** Records sent so far to each target, and failures among them: for progress lines. */
  counts(): { sent: number; errors: number }[] {
    return this.logs.map((log) => ({ sent: log.dueAt.length, errors: log.errors }));
  }

  firstError(): string | undefined {
    return this.logs.find((log) => log.firstError !== undefined)?.firstError;
  }

  /** Stops scheduling, waits for every answer still owed, closes the connections; a second call does nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const log of this.logs) await Promise.all(log.pending);
    for (const log of this.logs) log.connection.destroy();
  }

  /** Figures for the requests of target `i` that were due within [fromEpochMs, toEpochMs]. */
  window(i: number, fromEpochMs: number, toEpochMs: number): WindowStats {
    const log = this.logs[i]!;
    const latencies: number[] = [];
    let errors = 0;
    let maxSendLagMs = 0;
    for (let k = 0; k < log.dueAt.length; k++) {
      if (log.dueAt[k]! < fromEpochMs || log.dueAt[k]! > toEpochMs) continue;
      if (Number.isNaN(log.latencyMs[k]!)) errors++;
      else latencies.push(log.latencyMs[k]!);
      maxSendLagMs = Math.max(maxSendLagMs, log.sendLagMs[k]!);
    }
    latencies.sort((a, b) => a - b);
    return {
      requests: latencies.length + errors,
      errors,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      p999Ms: percentile(latencies, 0.999),
      maxMs: latencies.length ? latencies[latencies.length - 1]! : NaN,
      longestGapMs: longestGap(log.answeredAt, fromEpochMs, toEpochMs),
      maxSendLagMs,
    };
  }
}

/**
 * The longest interval between consecutive answers that overlaps [from, to], clipped to it.
 * Answers on one connection come in send order, so `answeredAt` is ascending. A stall that began
 * before the window or outlasted it still counts for the part inside.
 */
function longestGap(answeredAt: readonly number[], from: number, to: number): number {
  let longest = 0;
  let previous = from;
  for (const at of answeredAt) {
    if (Number.isNaN(at)) continue;
    if (at > from) {
      longest = Math.max(longest, Math.min(at, to) - Math.max(previous, from));
      if (at >= to) return longest;
    }
    previous = at;
  }
  // No answer after the window closed yet: the silence lasted to its end.
  return Math.max(longest, to - Math.max(previous, from));
}
