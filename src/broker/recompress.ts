/**
 * Broker-side compression, as Kafka's LogValidator does it when a topic's compression.type is
 * not `producer`: a batch whose codec differs from the topic's is decompressed and rebuilt with
 * the topic's codec (and its compression.gzip.level / compression.zstd.level). A batch already
 * in the topic's codec is stored as sent; Kafka compares codecs only, not levels.
 *
 * The rebuilt batch keeps what identifies it — producer id, epoch, base sequence, the
 * transactional flag — and each record's key, value, headers and timestamp. Its records get
 * dense offset deltas 0..n-1 (Kafka's builder appends them one offset after another), so offset
 * assignment in the log (which patches baseOffset) gives the same offsets the producer's batch
 * would have had. The timestamp type is the topic's: under LogAppendTime the log stamps the
 * rebuilt batch like any other. The caller checks the rebuilt size against max.message.bytes
 * (Kafka's "Message batch size is … bytes in append to partition …").
 *
 * Compression runs in the thread pool (buildRecordBatchAsync), so a large batch does not stall
 * the event loop.
 */
import {
  buildRecordBatchAsync,
  CompressionType,
  TimestampType,
  type KafkaRecord,
  type RecordBatchHeader,
} from '../protocol/records/index.js';
import type { TopicConfig } from '../config/topic-config.js';

export interface CompressionTarget {
  readonly type: CompressionType;
  /** gzip 1-9 (-1 = zlib's default) or zstd level; undefined = the codec's default. */
  readonly level: number | undefined;
}

const CODECS: Readonly<Record<string, CompressionType>> = {
  uncompressed: CompressionType.NONE,
  gzip: CompressionType.GZIP,
  snappy: CompressionType.SNAPPY,
  lz4: CompressionType.LZ4,
  zstd: CompressionType.ZSTD,
};

/** The codec a topic stores its batches in, or null for `producer` (whatever the producer sent). */
export function compressionTargetOf(config: TopicConfig): CompressionTarget | null {
  const type = CODECS[config.string('compression.type')];
  if (type === undefined) return null;
  let level: number | undefined;
  if (type === CompressionType.GZIP) level = config.number('compression.gzip.level');
  else if (type === CompressionType.ZSTD) level = config.number('compression.zstd.level');
  return { type, level: level === -1 ? undefined : level };
}

/** Whether a batch must be rebuilt to be stored under `target`. */
export function needsRecompression(batch: RecordBatchHeader, target: CompressionTarget | null): boolean {
  return target !== null && batch.compressionType !== target.type;
}

/** Rebuilds one batch (already validated, its records decoded) in the target codec. */
export function recompressBatch(
  batch: RecordBatchHeader,
  records: readonly KafkaRecord[],
  target: CompressionTarget,
  timestampType: 'CreateTime' | 'LogAppendTime',
): Promise<Buffer> {
  return buildRecordBatchAsync({
    records: records.map((record, index) => ({
      key: record.key,
      value: record.value,
      headers: record.headers,
      timestamp: record.timestamp,
      offsetDelta: index,
    })),
    compression: target.type,
    ...(target.level === undefined ? {} : { compressionLevel: target.level }),
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    isTransactional: batch.isTransactional,
    timestampType: timestampType === 'LogAppendTime' ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
  });
}
