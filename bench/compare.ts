/**
 * Throughput beside the peers: the same Node-client workload (node-worker.ts) against every
 * system, so that the client library's runtime is the same for all and the differences are the
 * systems'. For each record size and for 1 and 6 partitions: append as fast as a window of
 * acknowledgements allows into a fresh log, read it back from the beginning right away (warm),
 * and, once every produce is done, restart the system and read every log again (cold; the OS
 * page cache is not dropped, so for Tidelog, NATS and RabbitMQ the bytes come from memory, while
 * Redis replays its append-only file into memory before it answers at all).
 */
import { runJob } from './clients/node.js';
import type { ConsumeOutcome, ProduceOutcome } from './clients/node-worker.js';
import { RUN_TAG, SIZES, type RecordSize } from './sizes.js';
import type { System } from './system.js';

export interface CompareCell {
  size: RecordSize;
  partitions: number;
}

export const COMPARE_CELLS: readonly CompareCell[] = SIZES.flatMap((size) => [1, 6].map((partitions) => ({ size, partitions })));

/**
 * 128 KiB per append() and 8 of them awaiting acknowledgement: enough in flight that a client's
 * round trip does not set the pace, the same for every system. acks=1 or its equivalent.
 */
export const APPEND = { batchBytes: 128 * 1024, window: 8 };

export interface CompareRead {
  outcome: ConsumeOutcome;
  serverCpuS: number;
}

export interface CompareResult {
  cell: CompareCell;
  name: string;
  produce: ProduceOutcome;
  produceServerCpuS: number;
  warm?: CompareRead;
  cold?: CompareRead;
}

export interface CompareRun {
  system: string;
  results: CompareResult[];
  restartSeconds?: number;
  error?: string;
}

export async function runCompare(
  system: System,
  bounds: { durationS: number; maxBytes: number; warmupS: number },
  log: (message: string) => void,
): Promise<CompareRun> {
  const run: CompareRun = { system: system.name, results: [] };
  const target = { protocol: system.protocol, address: system.address };
  try {
    // Not reported: the first measured step must not pay for the system's (and Node's) cold start.
    log(`${system.name}: Node client warm-up, ${bounds.warmupS} s of appends and a read (not reported)`);
    const warm = await runJob<ProduceOutcome>({
      op: 'produce',
      ...target,
      name: `tl-node-warmup-${RUN_TAG}`,
      partitions: 1,
      size: SIZES[0]!.bytes,
      durationS: bounds.warmupS,
      maxBytes: bounds.maxBytes,
      ...APPEND,
    });
    await read(system, `tl-node-warmup-${RUN_TAG}`, warm.perPartition);
    for (const cell of COMPARE_CELLS) {
      const name = `tl-node-${cell.size.tag}-p${cell.partitions}-${RUN_TAG}`;
      log(`${system.name}: Node client, append ${cell.size.name} records to ${cell.partitions} partition(s)`);
      const before = system.cpuSeconds();
      const produce = await runJob<ProduceOutcome>({
        op: 'produce',
        ...target,
        name,
        partitions: cell.partitions,
        size: cell.size.bytes,
        durationS: bounds.durationS,
        maxBytes: bounds.maxBytes,
        ...APPEND,
      });
      const result: CompareResult = { cell, name, produce, produceServerCpuS: system.cpuSeconds() - before };
      run.results.push(result);
      result.warm = await read(system, name, produce.perPartition);
    }
    if (!system.local) return run;
    log(`${system.name}: restart before the cold reads`);
    run.restartSeconds = await system.restart();
    for (const result of run.results) {
      log(`${system.name}: Node client, cold read of ${result.name}`);
      result.cold = await read(system, result.name, result.produce.perPartition);
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    log(`${system.name}: comparison stopped: ${run.error}`);
  }
  return run;
}

async function read(system: System, name: string, counts: number[]): Promise<CompareRead> {
  const before = system.cpuSeconds();
  const outcome = await runJob<ConsumeOutcome>({ op: 'consume', protocol: system.protocol, address: system.address, name, counts });
  return { outcome, serverCpuS: system.cpuSeconds() - before };
}
