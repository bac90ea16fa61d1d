/**
 * The cleaner's background tasks: cleaning on their own, stopping a cleaning under way (log
 * removal, shutdown) without leaving `.cleaned` files, pausing and resuming, and sharing the
 * event loop (appends and reads go on while a large log is cleaned).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogCleaner } from '../../../src/storage/cleaner/log-cleaner.js';
import { CLEANER_OFFSET_CHECKPOINT_FILE } from '../../../src/storage/cleaner/cleaner-offset-checkpoint.js';
import { delay } from '../helpers.js';
import { appendRecords, foldLatest, openCompactedLog, readRecords, rollAndFlush, sourceOf, type CompactedLog } from './helpers.js';

async function fill(compacted: CompactedLog, records: number, keys: number): Promise<void> {
  const { log, clock } = compacted;
  for (let i = 0; i < records; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; j++) batch.push({ key: `key-${j % keys}`, value: `value-${j}-${'x'.repeat(40)}` });
    await appendRecords(log, batch, { now: clock.now });
  }
  await rollAndFlush(log);
  await appendRecords(log, [{ key: 'tail', value: 'tail' }], { now: clock.now });
}

const cleanedFiles = (directory: string) => readdirSync(directory).filter((name) => name.endsWith('.cleaned') || name.endsWith('.swap'));

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

test('started, the cleaner cleans by itself and checkpoints how far it got', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 8192 });
  const cleaner = new LogCleaner({ backoffMs: 20 }, () => [sourceOf(() => compacted.log)]);
  try {
    await fill(compacted, 2000, 100);
    const expected = foldLatest(await readRecords(compacted.log));
    cleaner.startup();
    assert.equal(await cleaner.awaitCleaned(compacted.log, compacted.log.activeSegment.baseOffset, 20_000), true);
    const records = await readRecords(compacted.log);
    assert.deepEqual(foldLatest(records), expected);
    assert.equal(records.length, 101);
    assert.match(readFileSync(join(compacted.dataDir, CLEANER_OFFSET_CHECKPOINT_FILE), 'utf8'), /^0\n1\ncompacted 0 \d+\n$/);
  } finally {
    await cleaner.shutdown();
    await compacted.cleanup();
  }
});

test('removeLog stops a cleaning under way, removes its .cleaned files and forgets the log', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 64 * 1024 });
  // Throttled to 50 KB/s, the cleaning of ~1 MB takes long enough to be caught in the middle.
  const cleaner = new LogCleaner({ backoffMs: 20, maxIoBytesPerSecond: 50_000 }, () => [sourceOf(() => compacted.log)]);
  try {
    await fill(compacted, 10_000, 500);
    const before = await readRecords(compacted.log);
    cleaner.startup();
    await until(() => cleanedFiles(compacted.directory).length > 0, 'a .cleaned file');
    await cleaner.removeLog(compacted.log);
    assert.deepEqual(cleanedFiles(compacted.directory), []);
    assert.equal(await cleaner.manager.lastCleanOffset(compacted.log), undefined);
    assert.deepEqual(foldLatest(await readRecords(compacted.log)), foldLatest(before));
  } finally {
    await cleaner.shutdown();
    await compacted.cleanup();
  }
});

test('shutdown stops a cleaning under way; a restarted cleaner completes it', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 64 * 1024 });
  const throttled = new LogCleaner({ backoffMs: 20, maxIoBytesPerSecond: 50_000 }, () => [sourceOf(() => compacted.log)]);
  try {
    await fill(compacted, 10_000, 500);
    const expected = foldLatest(await readRecords(compacted.log));
    throttled.startup();
    await until(() => cleanedFiles(compacted.directory).length > 0, 'a .cleaned file');
    await throttled.shutdown();
    assert.deepEqual(cleanedFiles(compacted.directory), []);
    assert.deepEqual(foldLatest(await readRecords(compacted.log)), expected);

    const cleaner = new LogCleaner({ backoffMs: 20 }, () => [sourceOf(() => compacted.log)]);
    cleaner.startup();
    try {
      assert.equal(await cleaner.awaitCleaned(compacted.log, compacted.log.activeSegment.baseOffset, 20_000), true);
    } finally {
      await cleaner.shutdown();
    }
    const records = await readRecords(compacted.log);
    assert.deepEqual(foldLatest(records), expected);
    assert.equal(records.length, 501);
  } finally {
    await throttled.shutdown();
    await compacted.cleanup();
  }
});

test('a paused log is not cleaned until it is resumed', async () => {
  const compacted = await openCompactedLog({ segmentBytes: 8192 });
  const cleaner = new LogCleaner({ backoffMs: 10 }, () => [sourceOf(() => compacted.log)], { time: compacted.clock.time });
  try {
    await fill(compacted, 500, 10);
    await cleaner.abortAndPauseCleaning(compacted.log);
    assert.equal(await cleaner.cleanFilthiestLog(), false);
    cleaner.resumeCleaning(compacted.log);
    assert.equal(await cleaner.cleanFilthiestLog(), true);
  } finally {
    await compacted.cleanup();
  }
});

test('appends go on while a large log is cleaned', async (t) => {
  const compacted = await openCompactedLog({ segmentBytes: 256 * 1024 });
  const cleaner = new LogCleaner({ backoffMs: 20 }, () => [sourceOf(() => compacted.log)]);
  try {
    await fill(compacted, 40_000, 2_000);
    // The longest gap between two timer ticks while the cleaner runs.
    let longestGapMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
    }, 1);
    cleaner.startup();
    let appends = 0;
    const target = compacted.log.activeSegment.baseOffset;
    while (((await cleaner.manager.lastCleanOffset(compacted.log)) ?? -1) < target) {
      await appendRecords(compacted.log, [{ key: `live-${appends % 10}`, value: `v${appends}` }], { now: compacted.clock.now });
      appends += 1;
      await delay(1);
    }
    clearInterval(ticker);
    assert.ok(appends > 5, `appends went on during the cleaning (${appends})`);
    // Reported, not asserted (no timing assertions on a shared machine): the slices are ~1 ms.
    t.diagnostic(`longest event loop stall while cleaning: ${longestGapMs.toFixed(1)} ms; ${appends} appends meanwhile`);
  } finally {
    await cleaner.shutdown();
    await compacted.cleanup();
  }
});
