/**
 * Shared by the record-batch tests: batches made by a real client (kafkajs's own encoder, with
 * the kafkajs-snappy and kafkajs-lz4 plugins its users install), a seeded PRNG, and an
 * assertion for CorruptRecordError codes.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CorruptRecordError } from '../../../src/errors.js';
import type { ErrorCode } from '../../../src/protocol/error-codes.js';
import { CompressionType } from '../../../src/protocol/records/batch-header.js';

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  buffer: Buffer;
}
type KafkajsCodec = () => { compress(encoder: KafkajsEncoder): Promise<Buffer>; decompress(data: Buffer): Promise<Buffer> };

const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  options: Record<string, unknown>,
) => KafkajsEncoder;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeKafkajsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<KafkajsDecodedBatch>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: number | string): unknown };
const { Codecs } = require('kafkajs/src/protocol/message/compression/index.js') as {
  Codecs: Record<number, () => unknown>;
};
const SnappyCodec = require('kafkajs-snappy') as KafkajsCodec;
const Lz4Codec = require('kafkajs-lz4') as new () => { codec: KafkajsCodec };

// What kafkajs users do to enable the codecs it does not ship: register the plugins.
Codecs[CompressionType.SNAPPY] = SnappyCodec;
Codecs[CompressionType.LZ4] = new Lz4Codec().codec;

export const kafkajsSnappy = SnappyCodec();
export const kafkajsLz4 = new Lz4Codec().codec();

export interface KafkajsRecordInput {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string>;
  timestampDelta?: number;
}

export interface KafkajsBatchOptions {
  records: KafkajsRecordInput[];
  compression?: CompressionType;
  firstTimestamp?: number;
  maxTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  firstSequence?: number;
  transactional?: boolean;
}

/** A record batch exactly as kafkajs 2.2.4 puts it on the wire. */
export async function kafkajsBatch(options: KafkajsBatchOptions): Promise<Buffer> {
  const records = options.records.map((record, index) =>
    KafkajsRecord({
      offsetDelta: index,
      timestampDelta: record.timestampDelta ?? 0,
      key: record.key,
      value: record.value,
      headers: record.headers ?? {},
    }),
  );
  const encoder = await RecordBatch({
    compression: options.compression ?? CompressionType.NONE,
    firstTimestamp: options.firstTimestamp ?? 1_700_000_000_000,
    maxTimestamp: options.maxTimestamp ?? options.firstTimestamp ?? 1_700_000_000_000,
    lastOffsetDelta: records.length - 1,
    producerId: Long.fromValue(options.producerId ?? -1),
    producerEpoch: options.producerEpoch ?? 0,
    firstSequence: options.firstSequence ?? 0,
    transactional: options.transactional ?? false,
    records,
  });
  return encoder.buffer;
}

export interface KafkajsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

export interface KafkajsDecodedBatch {
  firstOffset: string;
  records: KafkajsDecodedRecord[];
}

/** kafkajs's own decoder, to check that batches we build read back in a real client. */
export function kafkajsDecode(batch: Buffer): Promise<KafkajsDecodedBatch> {
  return decodeKafkajsBatch(new KafkajsDecoder(batch));
}

/** mulberry32: small, fast, and the same sequence for the same seed on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytesFrom(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Compressible text of `length` bytes (what record values usually look like). */
export function sampleText(length: number, seed = 1): Buffer {
  const random = seededRandom(seed);
  const words = ['order', 'id', 'customer', 'amount', 'EUR', 'status', 'shipped', 'pending', '{', '}', ':', ','];
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = words[Math.floor(random() * words.length)]!;
    parts.push(word);
    size += word.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, length);
}

/** Asserts that `action` throws a CorruptRecordError carrying `code`. */
export function assertRecordError(action: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof CorruptRecordError, `expected CorruptRecordError, got ${String(error)}`);
    assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

export async function assertRecordErrorAsync(action: () => Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof CorruptRecordError, `expected CorruptRecordError, got ${String(error)}`);
    assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}
