/**
 * The throughput workloads: for each record size, produce into a fresh 6-partition topic as fast
 * as the client can, then read every record back from the beginning while the log is still in
 * the page cache. The broker's CPU time is sampled around each step, since broker and client
 * share the machine's cores.
 */
import type { Broker } from './broker.js';
import type { ConsumeResult, ProduceResult, ProduceSettings, RdkafkaPerf } from './clients/rdkafka.js';

export interface Workload {
  name: string;
  topic: string;
  recordBytes: number;
}

export const WORKLOADS: readonly Workload[] = [
  { name: '1 KiB', topic: 'bench-1k', recordBytes: 1024 },
  { name: '100 B', topic: 'bench-100b', recordBytes: 100 },
];

export const PARTITIONS = 6;

/** librdkafka's defaults except where named: acks=1 as asked, no compression so bytes on the wire are the bytes measured. */
export const PRODUCER = { acks: '1', lingerMs: 5, batchBytes: 1_000_000 };
export const PRODUCER_DESCRIPTION =
  `acks=${PRODUCER.acks}, compression none, linger.ms=${PRODUCER.lingerMs}, batch.size=${PRODUCER.batchBytes}, ` +
  'no key (librdkafka\'s sticky partitioner spreads records over the partitions)';

export interface WorkloadResult {
  workload: Workload;
  produce: ProduceResult;
  produceBrokerCpuS: number;
  /** Bytes the broker holds in segment files after the produce: values plus batch and record framing. */
  logBytes: number;
  consume: ConsumeResult;
  consumeBrokerCpuS: number;
}

export async function runWorkloads(
  broker: Broker,
  client: RdkafkaPerf,
  bound: { count?: number; durationS: number },
  log: (message: string) => void,
): Promise<WorkloadResult[]> {
  const results: WorkloadResult[] = [];
  for (const workload of WORKLOADS) {
    await client.createTopic(broker.bootstrap, workload.topic, PARTITIONS);
    const settings: ProduceSettings = { topic: workload.topic, size: workload.recordBytes, ...PRODUCER };
    if (bound.count !== undefined) settings.count = bound.count;
    else settings.durationS = bound.durationS;
    log(`produce ${workload.name} records to ${workload.topic} (${bound.count !== undefined ? `${bound.count} records` : `${bound.durationS} s`})`);
    let cpuBefore = broker.cpuSeconds();
    const produce = await client.produce(broker.bootstrap, settings);
    const produceBrokerCpuS = broker.cpuSeconds() - cpuBefore;
    if (produce.failed > 0) throw new Error(`${produce.failed} records failed (${produce.first_error})`);

    log(`consume the ${produce.records} records from the beginning`);
    cpuBefore = broker.cpuSeconds();
    const consume = await client.consume(broker.bootstrap, workload.topic, produce.records);
    const consumeBrokerCpuS = broker.cpuSeconds() - cpuBefore;
    results.push({ workload, produce, produceBrokerCpuS, logBytes: broker.logBytes(workload.topic), consume, consumeBrokerCpuS });
  }
  return results;
}
