/**
 * A crash in the middle of a cleaner swap, simulated two ways: by files left as a crash would
 * leave them (`.cleaned`, `.swap`, old segments), and by failing the k-th rename of a real
 * swap (the log goes offline, as after a crash, and is reopened).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverInterruptedSwaps } from '../../../src/storage/cleaner/swap-recovery.js';
import { nodeFileSystem } from '../../../src/storage/file-system.js';
import type { PartitionLog } from '../../../src/storage/partition-log.js';
import { InstrumentedFileSystem } from '../helpers.js';
import { appendRecords, cleanerFor, foldLatest, openCompactedLog, readRecords, rollAndFlush, type CompactedLog } from './helpers.js';

const name = (offset: number, suffix: string) => `${String(offset).padStart(20, '0')}${suffix}`;
const leftovers = (directory: string) => readdirSync(directory).filter((file) => /\.(cleaned|swap)$/.test(file));

/** A log of small segments (rolled by hand) whose keys are overwritten many times. */
async function writeSmallSegments(compacted: CompactedLog, segments: number): Promise<void> {
  const { log, clock } = compacted;
  for (let s = 0; s < segments; s++) {
    for (let b = 0; b < 3; b++) {
      await appendRecords(log, [0, 1, 2, 3].map((k) => ({ key: `k${(s + k) % 6}`, value: `s${s}-b${b}-k${k}` })), { now: clock.now });
    }
    await rollAndFlush(log);
  }
  // The active segment has a file of its own (a rolled segment gets one on its first write).
  await appendRecords(log, [{ key: 'tail', value: 'tail' }], { now: clock.now });
  await log.flush();
}

type Records = Awaited<ReturnType<typeof readRecords>>;

/**
 * Writes `segments` small segments to a new compacted log and closes it, as a crash would; `crash`
 * gets its directory, the base offsets of its segments and its records, and may reopen it. The
 * log is removed after.
 */
async function afterCrash(segments: number, crash: (closed: { dir: string; bases: number[]; before: Records; reopen: () => Promise<PartitionLog> }) => Promise<void>): Promise<void> {
  const compacted = await openCompactedLog({ segmentBytes: 1 << 20 });
  try {
    await writeSmallSegments(compacted, segments);
    const before = await readRecords(compacted.log);
    const bases = compacted.log.logSegments.map((segment) => segment.baseOffset);
    await compacted.log.close();
    await crash({ dir: compacted.directory, bases, before, reopen: () => compacted.reopen() });
  } finally {
    await compacted.cleanup();
  }
}

test('.cleaned files left by a crash are deleted and the old segments stay', async () => {
  await afterCrash(4, async ({ dir, bases, before, reopen }) => {
    copyFileSync(join(dir, name(bases[0]!, '.log')), join(dir, name(bases[0]!, '.log.cleaned')));
    writeFileSync(join(dir, name(bases[0]!, '.index.cleaned')), Buffer.alloc(16));
    const log = await reopen();
    assert.deepEqual(leftovers(dir), []);
    assert.deepEqual(log.logSegments.map((segment) => segment.baseOffset), bases);
    assert.deepEqual(await readRecords(log), before);
  });
});

test('a complete .swap is finished at open: the old segments it covers go, the swap takes their place', async () => {
  await afterCrash(4, async ({ dir, bases, before, reopen }) => {
    // The "cleaned" segment of the first two segments: their batches, unchanged.
    writeFileSync(join(dir, name(bases[0]!, '.log.swap')), Buffer.concat([readFileSync(join(dir, name(bases[0]!, '.log'))), readFileSync(join(dir, name(bases[1]!, '.log')))]));
    const log = await reopen();
    assert.deepEqual(leftovers(dir), []);
    assert.ok(!existsSync(join(dir, name(bases[1]!, '.log'))), 'the second old segment is gone');
    assert.ok(!existsSync(join(dir, name(bases[1]!, '.index'))));
    assert.deepEqual(log.logSegments.map((segment) => segment.baseOffset), [bases[0], ...bases.slice(2)]);
    assert.deepEqual(await readRecords(log), before);
  });
});

test('a .swap whose swap never completed (a .cleaned file of it remains) is dropped; the old segments stay', async () => {
  await afterCrash(4, async ({ dir, bases, before, reopen }) => {
    // The log file was renamed to .swap, the index not yet.
    writeFileSync(join(dir, name(bases[0]!, '.log.swap')), readFileSync(join(dir, name(bases[0]!, '.log'))).subarray(0, 0));
    writeFileSync(join(dir, name(bases[0]!, '.index.cleaned')), Buffer.alloc(0));
    const log = await reopen();
    assert.deepEqual(leftovers(dir), []);
    assert.deepEqual(log.logSegments.map((segment) => segment.baseOffset), bases);
    assert.deepEqual(await readRecords(log), before);
  });
});

test('index files still named .swap after the log file got its final name are renamed', async () => {
  await afterCrash(3, async ({ dir, bases, before, reopen }) => {
    renameSync(join(dir, name(bases[1]!, '.index')), join(dir, name(bases[1]!, '.index.swap')));
    renameSync(join(dir, name(bases[1]!, '.timeindex')), join(dir, name(bases[1]!, '.timeindex.swap')));
    const names = await recoverInterruptedSwaps(nodeFileSystem, dir, readdirSync(dir));
    assert.ok(names.includes(name(bases[1]!, '.index')) && names.includes(name(bases[1]!, '.timeindex')));
    const log = await reopen();
    assert.deepEqual(await readRecords(log), before);
  });
});

test('a failure at any step of a real swap leaves a log that reopens consistent, and a later round completes the cleaning', async () => {
  // The renames of one swap: 3 (.cleaned -> .swap) + 3 per old segment (-> .deleted) + 3 (.swap -> final).
  const segmentFile = /\d{20}\.(log|index|timeindex|txnindex)(\.cleaned|\.swap)?$/;
  let step = 1;
  for (;;) {
    const fileSystem = new InstrumentedFileSystem();
    const compacted = await openCompactedLog({ segmentBytes: 1 << 20 }, { fileSystem });
    try {
      await writeSmallSegments(compacted, 4);
      const before = await readRecords(compacted.log);
      const expected = foldLatest(before);
      const originals = new Map(before.map((record) => [record.offset, JSON.stringify(record)]));
      let renames = 0;
      fileSystem.hooks.rename = (from) => {
        if (!segmentFile.test(String(from)) || !existsSync(String(from))) return;
        renames += 1;
        if (renames === step) throw Object.assign(new Error(`EIO: injected failure of rename ${step}`), { code: 'EIO' });
      };
      const cleaner = cleanerFor(compacted, {}, { fileSystem });
      await cleaner.cleanFilthiestLog();
      fileSystem.hooks.rename = undefined;
      const failed = renames >= step;

      const log = await compacted.reopen();
      assert.deepEqual(leftovers(compacted.directory), [], `step ${step}: no .cleaned or .swap left`);
      const recovered = await readRecords(log);
      for (let i = 1; i < recovered.length; i++) assert.ok(recovered[i]!.offset > recovered[i - 1]!.offset, `step ${step}: offsets increase`);
      for (const record of recovered) assert.equal(JSON.stringify(record), originals.get(record.offset), `step ${step}: record at ${record.offset} is an original one`);
      assert.deepEqual(foldLatest(recovered), expected, `step ${step}: the latest value of every key survives`);

      // A fresh cleaner finishes the job.
      const again = cleanerFor(compacted, {}, { fileSystem });
      if (failed) assert.equal(await again.cleanFilthiestLog(), true, `step ${step}: cleaned after the restart`);
      const final = await readRecords(log);
      assert.deepEqual(foldLatest(final), expected);
      assert.equal(final.length, expected.size, `step ${step}: one record per key`);
      if (!failed) break;
    } finally {
      await compacted.cleanup();
    }
    step += 1;
  }
  assert.ok(step > 6, `the swap was failed at each of its ${step - 1} renames`);
});
