/**
 * Retention: the decision (retention.ts) over fake segments, and PartitionLog.deleteOldSegments
 * on a real directory with a fake clock — time and size retention, the log start offset rule,
 * the roll when every segment expires, `.deleted` files, and the start offset after a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { OffsetOutOfRangeError } from '../../src/storage/errors.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { planSegmentDeletion, type RetentionConfig, type RetentionSegment } from '../../src/storage/retention.js';
import { delay, makeBatch, temporaryDirectory } from './helpers.js';

// -------------------------------------------------------------------------------------------------
// The decision

interface FakeSegment extends RetentionSegment {
  readonly name: string;
  timestampReads: number;
}

/** Segments [baseOffset, size, largestTimestamp]; the log end is `logEndOffset`. */
function fakeSegments(specs: [number, number, number][]): FakeSegment[] {
  return specs.map(([baseOffset, size, timestamp]) => {
    const segment: FakeSegment = {
      name: `s${baseOffset}`,
      baseOffset,
      size,
      timestampReads: 0,
      largestTimestamp() {
        segment.timestampReads += 1;
        return timestamp;
      },
    };
    return segment;
  });
}

const DELETE: RetentionConfig = { retentionMs: -1, retentionBytes: -1, cleanupPolicy: ['delete'] };
const NOW = 1_700_000_000_000;
const names = (segments: readonly FakeSegment[]) => segments.map((segment) => segment.name);

test('time retention deletes the oldest segments whose largest timestamp is older than retention.ms, and stops at the first it keeps', async () => {
  const segments = fakeSegments([
    [0, 100, NOW - 5000],
    [10, 100, NOW - 4000],
    [20, 100, NOW - 500], // kept: newer than retention.ms
    [30, 100, NOW - 9000], // older, but behind a kept segment: Kafka stops at the first keep
    [40, 100, NOW - 100],
  ]);
  const plan = await planSegmentDeletion(segments, { logStartOffset: 0, logEndOffset: 50, highWatermark: 50 }, { ...DELETE, retentionMs: 1000 }, NOW);
  assert.deepEqual(names(plan.segments), ['s0', 's10']);
  assert.deepEqual(plan.reasons, ['retention-time-breach', 'retention-time-breach']);
  assert.equal(plan.rollFirst, false);
  assert.deepEqual(
    segments.map((segment) => segment.timestampReads),
    [1, 1, 1, 0, 0],
    'timestamps are read only up to the first segment kept',
  );
});

test('exactly retention.ms old is kept (strictly older goes); retention.ms=-1 keeps everything', async () => {
  const segments = fakeSegments([
    [0, 100, NOW - 1001],
    [10, 100, NOW - 1000],
    [20, 100, NOW],
  ]);
  const state = { logStartOffset: 0, logEndOffset: 30, highWatermark: 30 };
  assert.deepEqual(names((await planSegmentDeletion(segments, state, { ...DELETE, retentionMs: 1000 }, NOW)).segments), ['s0']);
  assert.deepEqual((await planSegmentDeletion(segments, state, { ...DELETE, retentionMs: -1 }, NOW + 10 ** 12)).segments, []);
});

test('when every segment has expired, the active one goes too after a roll; an empty active segment never goes', async () => {
  const expired = fakeSegments([
    [0, 100, NOW - 5000],
    [10, 100, NOW - 4000],
  ]);
  const plan = await planSegmentDeletion(expired, { logStartOffset: 0, logEndOffset: 20, highWatermark: 20 }, { ...DELETE, retentionMs: 1000 }, NOW);
  assert.deepEqual(names(plan.segments), ['s0', 's10']);
  assert.equal(plan.rollFirst, true);

  const withEmptyActive = fakeSegments([
    [0, 100, NOW - 5000],
    [10, 0, NOW - 4000],
  ]);
  const second = await planSegmentDeletion(withEmptyActive, { logStartOffset: 0, logEndOffset: 10, highWatermark: 10 }, { ...DELETE, retentionMs: 1000 }, NOW);
  assert.deepEqual(names(second.segments), ['s0']);
  assert.equal(second.rollFirst, false);
});

test('nothing at or above the high watermark is deleted', async () => {
  const segments = fakeSegments([
    [0, 100, NOW - 5000],
    [10, 100, NOW - 5000],
    [20, 100, NOW - 5000],
  ]);
  // The second segment ends at 19, above the high watermark 15: only the first may go.
  const plan = await planSegmentDeletion(segments, { logStartOffset: 0, logEndOffset: 30, highWatermark: 15 }, { ...DELETE, retentionMs: 1000 }, NOW);
  assert.deepEqual(names(plan.segments), ['s0']);
  // The active segment's upper bound is the log end.
  const upToEnd = await planSegmentDeletion(segments, { logStartOffset: 0, logEndOffset: 30, highWatermark: 29 }, { ...DELETE, retentionMs: 1000 }, NOW);
  assert.deepEqual(names(upToEnd.segments), ['s0', 's10']);
  assert.equal(upToEnd.rollFirst, false);
});

test('size retention deletes the oldest segments while the rest stays at or above retention.bytes', async () => {
  const segments = fakeSegments([
    [0, 100, NOW],
    [10, 100, NOW],
    [20, 100, NOW],
    [30, 50, NOW],
  ]);
  const state = { logStartOffset: 0, logEndOffset: 40, highWatermark: 40 };
  // 350 bytes, limit 150: diff 200 takes the first two (diff 0), then 0 - 100 < 0 stops.
  const plan = await planSegmentDeletion(segments, state, { ...DELETE, retentionBytes: 150 }, NOW);
  assert.deepEqual(names(plan.segments), ['s0', 's10']);
  assert.deepEqual(plan.reasons, ['retention-size-breach', 'retention-size-breach']);
  // 350 bytes, limit 349: diff 1 is smaller than any segment, nothing goes (under limit + one segment).
  assert.deepEqual((await planSegmentDeletion(segments, state, { ...DELETE, retentionBytes: 349 }, NOW)).segments, []);
  // Below the limit: nothing. -1: no limit.
  assert.deepEqual((await planSegmentDeletion(segments, state, { ...DELETE, retentionBytes: 351 }, NOW)).segments, []);
  assert.deepEqual((await planSegmentDeletion(segments, state, { ...DELETE, retentionBytes: -1 }, NOW)).segments, []);
  // retention.bytes=0 empties the log, rolling first.
  const all = await planSegmentDeletion(segments, state, { ...DELETE, retentionBytes: 0 }, NOW);
  assert.deepEqual(names(all.segments), ['s0', 's10', 's20', 's30']);
  assert.equal(all.rollFirst, true);
});

test('segments below the log start offset go whatever the cleanup policy; time and size only with delete', async () => {
  const segments = fakeSegments([
    [0, 100, NOW - 5000],
    [100, 100, NOW - 5000],
    [200, 100, NOW - 5000],
    [300, 100, NOW - 5000],
  ]);
  const state = { logStartOffset: 250, logEndOffset: 400, highWatermark: 400 };
  const compact = await planSegmentDeletion(segments, state, { retentionMs: 1000, retentionBytes: 0, cleanupPolicy: ['compact'] }, NOW);
  assert.deepEqual(names(compact.segments), ['s0', 's100'], 'the segment holding the log start offset stays');
  assert.deepEqual(compact.reasons, ['log-start-offset-breach', 'log-start-offset-breach']);

  // Size is counted after the start offset rule: 200 bytes left, limit 100 takes one more.
  const sized = await planSegmentDeletion(segments, state, { retentionMs: -1, retentionBytes: 100, cleanupPolicy: ['compact', 'delete'] }, NOW);
  assert.deepEqual(names(sized.segments), ['s0', 's100', 's200']);
  assert.deepEqual(sized.reasons, ['log-start-offset-breach', 'log-start-offset-breach', 'retention-size-breach']);
});

// -------------------------------------------------------------------------------------------------
// PartitionLog.deleteOldSegments with a fake clock

class FakeClock {
  constructor(public now: number) {}
  readonly time = (): number => this.now;
}

async function openLog(path: string, config: Partial<LogConfig>, clock: FakeClock): Promise<PartitionLog> {
  return PartitionLog.open(path, config, { time: clock.time });
}

/** Appends one batch of 5 records per timestamp, each batch in its own segment (segmentBytes is small). */
async function appendAt(log: PartitionLog, timestamps: number[]): Promise<void> {
  for (const timestamp of timestamps) {
    const info = log.append(makeBatch({ records: 5, baseTimestamp: timestamp, valueSize: 40 }), { leaderEpoch: 0 });
    await info.written;
  }
}

const files = (dir: string, suffix: string) => readdirSync(dir).filter((name) => name.endsWith(suffix)).sort();

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await delay(10);
  assert.ok(condition(), what);
}

// One batch of 5 records with 40-byte values is ~300 bytes: 400-byte segments hold one batch each.
const SMALL_SEGMENTS: Partial<LogConfig> = { segmentBytes: 400, retentionMs: 60_000, fileDeleteDelayMs: 0 };

test('time retention removes expired segments, raises the log start offset and removes their files', async () => {
  const dir = temporaryDirectory();
  const path = join(dir.path, 'events-0');
  const clock = new FakeClock(NOW);
  const log = await openLog(path, SMALL_SEGMENTS, clock);
  try {
    await appendAt(log, [NOW - 300_000, NOW - 200_000, NOW - 1000, NOW]);
    assert.equal(log.logSegments.length, 4);
    assert.equal(log.logEndOffset, 20);

    assert.equal(await log.deleteOldSegments(), 2);
    assert.equal(log.logStartOffset, 10);
    assert.deepEqual(
      log.logSegments.map((segment) => segment.baseOffset),
      [10, 15],
    );
    await assert.rejects(log.read(5, 1 << 20), OffsetOutOfRangeError);
    assert.equal((await log.read(10, 1 << 20)).firstOffset, 10);
    assert.equal(readFileSync(join(path, 'log-start-offset-checkpoint'), 'utf8'), '0\n1\n10\n');
    await eventually(() => !files(path, '.log').includes('00000000000000000000.log') && files(path, '.deleted').length === 0, 'the files of deleted segments are removed');
    assert.deepEqual(files(path, '.log'), ['00000000000000000010.log', '00000000000000000015.log']);

    // Nothing more has expired.
    assert.equal(await log.deleteOldSegments(), 0);
    // Later the rest expires; the active segment goes after a roll, and appends continue at the end.
    clock.now += 120_000;
    assert.equal(await log.deleteOldSegments(), 2);
    assert.equal(log.logStartOffset, 20);
    assert.equal(log.logEndOffset, 20);
    assert.deepEqual(
      log.logSegments.map((segment) => [segment.baseOffset, segment.size]),
      [[20, 0]],
    );
    assert.equal(await log.deleteOldSegments(), 0, 'an empty active segment is never deleted');
    await appendAt(log, [clock.now]);
    assert.equal(log.logEndOffset, 25);
    assert.equal((await log.read(20, 1 << 20)).firstOffset, 20);
  } finally {
    await log.close();
  }
  // The start offset survives a restart.
  const reopened = await openLog(path, SMALL_SEGMENTS, clock);
  try {
    assert.equal(reopened.logStartOffset, 20);
    assert.equal(reopened.logEndOffset, 25);
    await assert.rejects(reopened.read(19, 1 << 20), OffsetOutOfRangeError);
  } finally {
    await reopened.close();
    dir.remove();
  }
});

test('deleted segments wait as .deleted files for file.delete.delay.ms; a restart removes them', async () => {
  const dir = temporaryDirectory();
  const path = join(dir.path, 'events-0');
  const clock = new FakeClock(NOW);
  const config = { ...SMALL_SEGMENTS, fileDeleteDelayMs: 3_600_000 };
  const log = await openLog(path, config, clock);
  try {
    await appendAt(log, [NOW - 300_000, NOW - 200_000, NOW]);
    assert.equal(await log.deleteOldSegments(), 2);
    assert.deepEqual(files(path, '.log.deleted'), ['00000000000000000000.log.deleted', '00000000000000000005.log.deleted']);
    assert.ok(files(path, '.index.deleted').length === 2 && files(path, '.timeindex.deleted').length === 2);
    assert.deepEqual(files(path, '.log'), ['00000000000000000010.log']);
  } finally {
    await log.close();
  }
  assert.equal(files(path, '.deleted').length, 6, 'close leaves the .deleted files (.log, .index, .timeindex of two segments)');
  const reopened = await openLog(path, config, clock);
  try {
    assert.deepEqual(files(path, '.deleted'), []);
    assert.equal(reopened.logStartOffset, 10);
  } finally {
    await reopened.close();
    dir.remove();
  }
});

test('size retention keeps the log under retention.bytes plus one segment', async () => {
  const dir = temporaryDirectory();
  const path = join(dir.path, 'sized-0');
  const clock = new FakeClock(NOW);
  const log = await openLog(path, { ...SMALL_SEGMENTS, retentionMs: -1, retentionBytes: 1000 }, clock);
  try {
    await appendAt(log, Array.from({ length: 10 }, () => NOW));
    const segmentSize = log.logSegments[0]!.size;
    assert.equal(log.size, 10 * segmentSize);
    assert.ok(await log.deleteOldSegments() > 0);
    assert.ok(log.size >= 1000 && log.size < 1000 + segmentSize, `size ${log.size} with segments of ${segmentSize}`);
    assert.equal(log.logStartOffset, log.logSegments[0]!.baseOffset);
    assert.equal(await log.deleteOldSegments(), 0);
  } finally {
    await log.close();
    dir.remove();
  }
});

test('cleanup.policy=compact: retention by time or size does not apply', async () => {
  const dir = temporaryDirectory();
  const clock = new FakeClock(NOW);
  const log = await openLog(join(dir.path, 'compacted-0'), { ...SMALL_SEGMENTS, retentionBytes: 0, cleanupPolicy: ['compact'] }, clock);
  try {
    await appendAt(log, [NOW - 300_000, NOW - 200_000, NOW - 100_000]);
    assert.equal(await log.deleteOldSegments(), 0);
    assert.equal(log.logStartOffset, 0);
  } finally {
    await log.close();
    dir.remove();
  }
});

test('maybeIncrementLogStartOffset (DeleteRecords) hides records at once; the next pass deletes the segments below it', async () => {
  const dir = temporaryDirectory();
  const path = join(dir.path, 'purged-0');
  const clock = new FakeClock(NOW);
  const config = { ...SMALL_SEGMENTS, retentionMs: -1, cleanupPolicy: ['compact' as const] };
  const log = await openLog(path, config, clock);
  try {
    await appendAt(log, [NOW, NOW, NOW, NOW]);
    await assert.rejects(log.maybeIncrementLogStartOffset(21), OffsetOutOfRangeError, 'not past the written end');
    assert.equal(await log.maybeIncrementLogStartOffset(12), true);
    assert.equal(await log.maybeIncrementLogStartOffset(7), false, 'never lowered');
    assert.equal(log.logStartOffset, 12);
    await assert.rejects(log.read(11, 1 << 20), OffsetOutOfRangeError);
    const read = await log.read(12, 1 << 20);
    assert.equal(read.firstOffset, 10, 'whole batches: the batch holding 12 starts at 10');
    assert.equal(log.logSegments.length, 4, 'segments stay until the next retention pass');
    assert.equal(await log.deleteOldSegments(), 2, 'the log start offset rule applies to compacted logs too');
    assert.deepEqual(
      log.logSegments.map((segment) => segment.baseOffset),
      [10, 15],
    );
    assert.equal(log.logStartOffset, 12);
    // Up to the log end: everything readable is given up; the active segment stays.
    assert.equal(await log.maybeIncrementLogStartOffset(20), true);
    assert.equal(await log.deleteOldSegments(), 1);
    assert.equal(log.logStartOffset, 20);
    assert.deepEqual(
      log.logSegments.map((segment) => segment.baseOffset),
      [15],
    );
    assert.equal((await log.read(20, 1 << 20)).records.length, 0);
  } finally {
    await log.close();
  }
  const reopened = await openLog(path, config, clock);
  try {
    assert.equal(reopened.logStartOffset, 20);
    assert.equal(reopened.logEndOffset, 20);
  } finally {
    await reopened.close();
    dir.remove();
  }
});

test('segment.ms rolls on the next append once the first batch is old enough, never on the clock alone', async () => {
  const dir = temporaryDirectory();
  const clock = new FakeClock(NOW);
  const log = await openLog(join(dir.path, 'rolled-0'), { segmentMs: 10_000, retentionMs: 60_000 }, clock);
  try {
    await appendAt(log, [NOW]);
    clock.now += 100_000;
    assert.equal(log.logSegments.length, 1, 'no append, no roll (as in Kafka)');
    // The whole log has expired: retention rolls and deletes it anyway.
    assert.equal(await log.deleteOldSegments(), 1);
    assert.equal(log.logStartOffset, 5);
    await appendAt(log, [clock.now, clock.now + 5_000]);
    assert.equal(log.logSegments.length, 1, 'within segment.ms: same segment');
    await appendAt(log, [clock.now + 10_001]);
    assert.equal(log.logSegments.length, 2, 'a batch more than segment.ms after the first rolls');
  } finally {
    await log.close();
    dir.remove();
  }
});
