/**
 * Fuzzing the record-batch decoders: thousands of random and mutated inputs, generated from a
 * fixed seed (so a failure reproduces), fed to validateRecords, decodeRecords and the codecs.
 * The only acceptable outcomes are a result or a ProtocolDecodeError (CorruptRecordError is
 * one): a TypeError, RangeError or a native library's own error would mean some bytes reach
 * code that does not expect them. Each input must also finish quickly (no hang, no runaway
 * allocation: every call runs with a 4 MiB inflation limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ProtocolDecodeError } from '../../../src/errors.js';
import {
  ATTRIBUTES_OFFSET,
  BATCH_LENGTH_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch, type RecordInput } from '../../../src/protocol/records/builder.js';
import { ControlRecordType, buildEndTransactionMarkerBatch } from '../../../src/protocol/records/control-batch.js';
import { compress, decompress, decompressAsync } from '../../../src/protocol/records/compression/index.js';
import { writeBatchCrc } from '../../../src/protocol/records/crc32c.js';
import { decodeRecords, decodeRecordsAsync, recordsPayload } from '../../../src/protocol/records/records.js';
import { validateRecords, type AppendOrigin } from '../../../src/protocol/records/validate.js';
import { kafkajsBatch, randomBytesFrom, sampleText, seededRandom } from './helpers.js';

const SEED = 0x7d1e109;
const MAX_BYTES = 4 << 20;
const SLOW_INPUT_MS = 5000;
const CODECS = [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD];
const ORIGINS: AppendOrigin[] = ['client', 'coordinator', 'replication'];
const INTERESTING_INT32 = [0, 1, -1, 2, 48, 49, 61, 127, 128, 0x7fffffff, -0x80000000, 0xffff, 1 << 20];

let slowest = 0;

/** Runs `action`; passes if it returns or throws a ProtocolDecodeError, fails on anything else. */
function expectOnlyDecodeErrors(label: string, input: Buffer, action: () => unknown): void {
  const started = performance.now();
  try {
    action();
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) {
      assert.fail(`${label}: ${String((error as Error)?.stack ?? error)}\ninput (${input.length} bytes): ${input.subarray(0, 200).toString('hex')}`);
    }
  }
  const elapsed = performance.now() - started;
  slowest = Math.max(slowest, elapsed);
  assert.ok(elapsed < SLOW_INPUT_MS, `${label}: took ${elapsed} ms`);
}

async function expectOnlyDecodeErrorsAsync(label: string, input: Buffer, action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ProtocolDecodeError)) {
      assert.fail(`${label}: ${String((error as Error)?.stack ?? error)}\ninput: ${input.subarray(0, 200).toString('hex')}`);
    }
  }
}

function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[randomInt(random, items.length)]!;
}

function randomRecords(random: () => number): RecordInput[] {
  const count = 1 + randomInt(random, 6);
  return Array.from({ length: count }, (_, i) => ({
    key: random() < 0.3 ? null : randomBytesFrom(random, randomInt(random, 20)),
    value: random() < 0.2 ? null : random() < 0.5 ? sampleText(randomInt(random, 400), i) : randomBytesFrom(random, randomInt(random, 100)),
    timestamp: 1_700_000_000_000 + randomInt(random, 100_000) - 50_000,
    headers: Array.from({ length: randomInt(random, 3) }, () => ({
      key: randomBytesFrom(random, randomInt(random, 8)).toString('latin1'),
      value: random() < 0.3 ? null : randomBytesFrom(random, randomInt(random, 10)),
    })),
  }));
}

/** Valid batches of every shape we know: all codecs, producers, control, kafkajs-made. */
async function seedCorpus(random: () => number): Promise<Buffer[]> {
  const corpus: Buffer[] = [];
  for (let i = 0; i < 40; i++) {
    corpus.push(
      buildRecordBatch({
        records: randomRecords(random),
        compression: CODECS[i % CODECS.length]!,
        producerId: i % 3 === 0 ? -1 : i,
        producerEpoch: i % 3 === 0 ? -1 : 0,
        baseSequence: i % 3 === 0 ? -1 : i * 10,
        isTransactional: i % 5 === 1,
      }),
    );
  }
  corpus.push(buildEndTransactionMarkerBatch({ type: ControlRecordType.COMMIT, producerId: 1, producerEpoch: 0, coordinatorEpoch: 3 }));
  corpus.push(buildRecordBatch({ records: [], lastOffsetDelta: 3, compression: CompressionType.SNAPPY }));
  for (const compression of CODECS.slice(0, 4)) {
    corpus.push(await kafkajsBatch({ compression, records: [{ key: 'k', value: sampleText(300), headers: { h: 'v' } }, { key: null, value: 'x' }] }));
  }
  return corpus;
}

/** One random structural change to a copy of `input`. */
function mutate(random: () => number, input: Buffer, corpus: readonly Buffer[]): Buffer {
  let bytes = Buffer.from(input);
  const mutations = 1 + randomInt(random, 3);
  for (let m = 0; m < mutations; m++) {
    switch (randomInt(random, 9)) {
      case 0: // flip bits
        for (let i = 1 + randomInt(random, 8); i > 0 && bytes.length > 0; i--) bytes[randomInt(random, bytes.length)] ^= 1 << randomInt(random, 8);
        break;
      case 1: // overwrite bytes
        for (let i = 1 + randomInt(random, 4); i > 0 && bytes.length > 0; i--) bytes[randomInt(random, bytes.length)] = randomInt(random, 256);
        break;
      case 2: // truncate
        bytes = bytes.subarray(0, randomInt(random, bytes.length + 1));
        break;
      case 3: // extend
        bytes = Buffer.concat([bytes, randomBytesFrom(random, randomInt(random, 64))]);
        break;
      case 4: {
        // splice in part of another batch
        const other = pick(random, corpus);
        const from = randomInt(random, other.length);
        const to = randomInt(random, bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, to), other.subarray(from, from + randomInt(random, 80)), bytes.subarray(to)]);
        break;
      }
      case 5: {
        // an interesting value in a header int32 field
        const field = pick(random, [BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, RECORDS_COUNT_OFFSET, 12, 53]);
        if (bytes.length >= field + 4) bytes.writeInt32BE(pick(random, INTERESTING_INT32) | 0, field);
        break;
      }
      case 6: // another codec, timestamp type, control or transactional bit
        if (bytes.length > ATTRIBUTES_OFFSET + 1) bytes[ATTRIBUTES_OFFSET + 1] = randomInt(random, 256);
        break;
      case 7: {
        // varint-shaped junk in the records section
        const at = RECORD_BATCH_OVERHEAD + randomInt(random, Math.max(1, bytes.length - RECORD_BATCH_OVERHEAD));
        const junk = Buffer.from(pick(random, [[0xff, 0xff, 0xff, 0xff, 0x0f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80], [0x01], [0x7f], [0xfe, 0xff, 0xff, 0xff, 0x0f]]));
        if (at < bytes.length) junk.copy(bytes, at);
        break;
      }
      default: // batchLength consistent with the (possibly changed) size
        if (bytes.length >= 12) bytes.writeInt32BE(bytes.length - 12, BATCH_LENGTH_OFFSET);
    }
  }
  return bytes;
}

/** Makes the CRC right so the mutation reaches past the CRC check, when the header allows it. */
function withValidCrc(bytes: Buffer): Buffer {
  if (bytes.length >= RECORD_BATCH_OVERHEAD) writeBatchCrc(bytes);
  return bytes;
}

function exercise(label: string, input: Buffer): void {
  for (const origin of ORIGINS) {
    expectOnlyDecodeErrors(`${label} validate/${origin}`, input, () => validateRecords(input, { origin, produceVersion: 5, maxBatchBytes: 1 << 20 }));
  }
  expectOnlyDecodeErrors(`${label} decode`, input, () => decodeRecords(input, { maxDecompressedBytes: MAX_BYTES }));
  expectOnlyDecodeErrors(`${label} decode without crc`, input, () => decodeRecords(input, { verifyCrc: false, maxDecompressedBytes: MAX_BYTES }));
}

test('mutated batches only ever raise ProtocolDecodeError', { timeout: 300_000 }, async () => {
  const random = seededRandom(SEED);
  const corpus = await seedCorpus(random);
  for (const batch of corpus) {
    assert.ok(validateRecords(batch, { origin: 'replication' }));
    decodeRecords(batch);
  }
  for (let i = 0; i < 6000; i++) {
    const original = pick(random, corpus);
    const mutated = mutate(random, original, corpus);
    exercise(`mutation ${i}`, mutated);
    exercise(`mutation ${i} (crc fixed)`, withValidCrc(mutated));
    if (i % 25 === 0) {
      await expectOnlyDecodeErrorsAsync(`mutation ${i} async`, mutated, () =>
        decodeRecordsAsync(mutated, { verifyCrc: false, maxDecompressedBytes: MAX_BYTES }),
      );
    }
  }
});

test('mutated records inside valid compression only ever raise ProtocolDecodeError', { timeout: 300_000 }, async () => {
  const random = seededRandom(SEED + 1);
  const corpus = (await seedCorpus(random)).filter((batch) => batch.length > RECORD_BATCH_OVERHEAD);
  for (let i = 0; i < 3000; i++) {
    const original = pick(random, corpus);
    // Mutate the inflated records, then compress them properly: the record parser sees the
    // junk whatever the codec.
    const payload = mutate(random, Buffer.concat([Buffer.alloc(RECORD_BATCH_OVERHEAD), recordsPayload(original)]), corpus).subarray(
      RECORD_BATCH_OVERHEAD,
    );
    const codec = pick(random, CODECS);
    const header = Buffer.from(original.subarray(0, RECORD_BATCH_OVERHEAD));
    header.writeInt16BE((header.readInt16BE(ATTRIBUTES_OFFSET) & ~0x07) | codec, ATTRIBUTES_OFFSET);
    const batch = Buffer.concat([header, compress(codec, payload)]);
    batch.writeInt32BE(batch.length - 12, BATCH_LENGTH_OFFSET);
    writeBatchCrc(batch);
    exercise(`records mutation ${i}`, batch);
  }
});

test('random bytes behind each codec\'s magic only ever raise ProtocolDecodeError', { timeout: 300_000 }, async () => {
  const random = seededRandom(SEED + 2);
  const prefixes: Array<[CompressionType, Buffer]> = [
    [CompressionType.GZIP, gzipSync(Buffer.from('x')).subarray(0, 10)],
    [CompressionType.SNAPPY, Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])],
    [CompressionType.SNAPPY, Buffer.alloc(0)],
    [CompressionType.LZ4, Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])],
    [CompressionType.LZ4, Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x6c, 0x70])],
    [CompressionType.ZSTD, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])],
    [CompressionType.ZSTD, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ];
  const valid = CODECS.slice(1).map((codec) => [codec, compress(codec, sampleText(3000, codec))] as const);
  for (let i = 0; i < 4000; i++) {
    let codec: CompressionType;
    let input: Buffer;
    if (i % 2 === 0) {
      const [prefixCodec, prefix] = pick(random, prefixes);
      codec = prefixCodec;
      input = Buffer.concat([prefix, randomBytesFrom(random, randomInt(random, 300))]);
    } else {
      const [validCodec, compressed] = pick(random, valid);
      codec = validCodec;
      input = mutate(random, compressed, [compressed]);
    }
    expectOnlyDecodeErrors(`codec ${codec} input ${i}`, input, () => decompress(codec, input, MAX_BYTES));
    if (i % 20 === 0) await expectOnlyDecodeErrorsAsync(`codec ${codec} input ${i} async`, input, () => decompressAsync(codec, input, MAX_BYTES));
  }
});

test('fuzzing finished without a slow input', () => {
  assert.ok(slowest < SLOW_INPUT_MS, `slowest input took ${slowest} ms`);
});
