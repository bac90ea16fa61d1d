/**
 * The throughput matrix, driven by the librdkafka C client against a Kafka-API system (Tidelog,
 * or a broker given with --peer-kafka): every combination of record size (1 KiB, 100 B),
 * partitions (1, 6), acks (1, all) and compression (none, lz4) is produced into a fresh topic as
 * fast as the client can, until a time or a byte bound is met. Each acks=1 topic is then read
 * back from the beginning twice: right after its produce (warm: the broker process that wrote
 * it serves it) and once every produce is done and the broker was restarted (cold: a new process
 * opens the segments). The OS page cache is not dropped before the cold read, so its bytes still
 * come from memory: dropping it needs root and would disturb everything else on the machine.
 * acks changes when the broker answers, not what it stores, so acks=all topics are not read.
 */
import type { ConsumeResult, ProduceResult, ProduceSettings, RdkafkaPerf } from './clients/rdkafka.js';
import { RUN_TAG, SIZES, type RecordSize } from './sizes.js';
import type { System } from './system.js';

export interface MatrixCell {
  size: RecordSize;
  partitions: number;
  acks: '1' | 'all';
  compression: 'none' | 'lz4';
}

export const MATRIX: readonly MatrixCell[] = SIZES.flatMap((size) =>
  [1, 6].flatMap((partitions) =>
    (['1', 'all'] as const).flatMap((acks) => (['none', 'lz4'] as const).map((compression) => ({ size, partitions, acks, compression }))),
  ),
);

/** librdkafka's defaults except where named: a 1 MB batch so that batching, not request count, sets the pace. */
export const PRODUCER = { lingerMs: 5, batchBytes: 1_000_000 };
export const PRODUCER_DESCRIPTION =
  `linger.ms=${PRODUCER.lingerMs}, batch.size=${PRODUCER.batchBytes}, no key (librdkafka's sticky partitioner spreads records over the partitions)`;

export interface Read {
  consume: ConsumeResult;
  /** Broker CPU seconds during the read; NaN for a broker not started here. */
  serverCpuS: number;
}

export interface MatrixResult {
  cell: MatrixCell;
  topic: string;
  produce: ProduceResult;
  serverCpuS: number;
  /** Bytes in segment files after the produce (Tidelog only): values plus batch and record framing, or compressed batches. */
  logBytes: number;
  warm?: Read;
  cold?: Read;
}

export interface MatrixRun {
  system: string;
  results: MatrixResult[];
  /** Seconds from the stop signal to ready again, before the cold reads. */
  restartSeconds?: number;
  /** Why the run stopped early, if it did; the results before it stand. */
  error?: string;
}

export async function runMatrix(
  system: System,
  client: RdkafkaPerf,
  bounds: { durationS: number; maxBytes: number; warmupS: number },
  log: (message: string) => void,
): Promise<MatrixRun> {
  const run: MatrixRun = { system: system.name, results: [] };
  try {
    await warmUp(system, client, bounds, log);
    for (const cell of MATRIX) {
      const topic = `tl-${cell.size.tag}-p${cell.partitions}-a${cell.acks}-${cell.compression}-${RUN_TAG}`;
      await client.createTopic(system.address, topic, cell.partitions);
      const settings: ProduceSettings = {
        topic,
        size: cell.size.bytes,
        acks: cell.acks,
        compression: cell.compression,
        ...PRODUCER,
        durationS: bounds.durationS,
        count: Math.max(1, Math.floor(bounds.maxBytes / cell.size.bytes)),
      };
      log(`${system.name}: produce ${cell.size.name}, ${cell.partitions} partition(s), acks=${cell.acks}, ${cell.compression}`);
      const before = system.cpuSeconds();
      const produce = await client.produce(system.address, settings);
      const result: MatrixResult = { cell, topic, produce, serverCpuS: system.cpuSeconds() - before, logBytes: system.logBytes(topic) };
      if (produce.failed > 0) throw new Error(`${topic}: ${produce.failed} records failed (${produce.first_error})`);
      if (cell.acks === '1') result.warm = await read(system, client, topic, produce.records);
      run.results.push(result);
    }
    if (!system.local) return run;
    log(`${system.name}: restart before the cold reads`);
    run.restartSeconds = await system.restart();
    for (const result of run.results) {
      if (!result.warm) continue;
      log(`${system.name}: cold read of ${result.topic}`);
      result.cold = await read(system, client, result.topic, result.produce.records);
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    log(`${system.name}: matrix stopped: ${run.error}`);
  }
  return run;
}

/**
 * A produce and a read that are not reported: a broker just started has cold code paths (Node's
 * JIT for Tidelog), which would otherwise all be charged to the first cell of the matrix.
 */
async function warmUp(system: System, client: RdkafkaPerf, bounds: { maxBytes: number; warmupS: number }, log: (message: string) => void): Promise<void> {
  const topic = `tl-warmup-${RUN_TAG}`;
  log(`${system.name}: warm-up, ${bounds.warmupS} s of produce and a read (not reported)`);
  await client.createTopic(system.address, topic, 6);
  const size = SIZES[0]!.bytes;
  const produce = await client.produce(system.address, {
    topic,
    size,
    acks: '1',
    compression: 'none',
    ...PRODUCER,
    durationS: bounds.warmupS,
    count: Math.max(1, Math.floor(bounds.maxBytes / size)),
  });
  await client.consume(system.address, topic, produce.records);
}

async function read(system: System, client: RdkafkaPerf, topic: string, records: number): Promise<Read> {
  const before = system.cpuSeconds();
  const consume = await client.consume(system.address, topic, records);
  return { consume, serverCpuS: system.cpuSeconds() - before };
}
