import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { KafkaStorageError } from '../../src/storage/errors.js';
import { NodeFileSystem } from '../../src/storage/file-system.js';
import { InstrumentedFileSystem, makeBatch, temporaryDirectory } from './helpers.js';

/** InstrumentedFileSystem plus writevSync (counted, and failing on demand). */
class SyncCapableFileSystem extends InstrumentedFileSystem {
  private readonly node = new NodeFileSystem();
  syncWrites = 0;
  failNextSyncWrite = false;

  writevSync(fd: number, buffers: readonly Buffer[], position: number): number {
    this.syncWrites += 1;
    if (this.failNextSyncWrite) {
      this.failNextSyncWrite = false;
      throw Object.assign(new Error('ENOSPC: injected'), { code: 'ENOSPC' });
    }
    return this.node.writevSync(fd, buffers, position);
  }
}

async function withLog(body: (log: PartitionLog, fileSystem: SyncCapableFileSystem, dir: string) => Promise<void>): Promise<void> {
  const dir = temporaryDirectory();
  const fileSystem = new SyncCapableFileSystem();
  const path = join(dir.path, 'topic-0');
  const log = await PartitionLog.open(path, {}, { fileSystem });
  try {
    await body(log, fileSystem, path);
  } finally {
    await log.close().catch(() => undefined);
    dir.remove();
  }
}

test('small appends are written on the event loop, before any I/O callback runs', async () => {
  await withLog(async (log, fileSystem, dir) => {
    await log.append(makeBatch({ records: 2 }), { leaderEpoch: 0 }).written; // opens the file
    const asyncWrites = fileSystem.count('writev');
    const syncWrites = fileSystem.syncWrites;
    const batch = makeBatch({ records: 3, valueSize: 100 });
    const info = log.append(batch, { leaderEpoch: 0 });
    let settled = false;
    void info.written.then(() => (settled = true));
    // Microtasks only: no thread-pool round trip is needed for the bytes to reach the file.
    for (let i = 0; i < 10 && !settled; i++) await Promise.resolve();
    assert.ok(settled, 'written settled within microtasks');
    assert.equal(fileSystem.syncWrites, syncWrites + 1);
    assert.equal(fileSystem.count('writev'), asyncWrites);
    assert.equal(log.writtenEndOffset, 5);
    assert.equal(statSync(join(dir, '00000000000000000000.log')).size, log.activeSegment.size);
  });
});

test('large appends go to the thread pool', async () => {
  await withLog(async (log, fileSystem) => {
    await log.append(makeBatch({ records: 1 }), { leaderEpoch: 0 }).written;
    const asyncWrites = fileSystem.count('writev');
    const big = makeBatch({ records: 4, valueSize: 100_000 });
    await log.append(big, { leaderEpoch: 0 }).written;
    assert.equal(fileSystem.count('writev'), asyncWrites + 1);
    const read = await log.read(1, 1 << 20);
    assert.equal(read.sizeInBytes, big.length);
  });
});

test('a failed small write is handled as a failed write: the append fails, the log goes on', async () => {
  await withLog(async (log, fileSystem) => {
    await log.append(makeBatch({ records: 2 }), { leaderEpoch: 0 }).written;
    fileSystem.failNextSyncWrite = true;
    await assert.rejects(log.append(makeBatch({ records: 2 }), { leaderEpoch: 0 }).written, KafkaStorageError);
    assert.equal(log.logEndOffset, 2, 'offsets given back');
    assert.equal(log.offlineError, null);
    const info = log.append(makeBatch({ records: 1 }), { leaderEpoch: 0 });
    assert.equal(info.firstOffset, 2);
    await info.written;
    const read = await log.read(0, 1 << 20);
    assert.equal(read.nextOffset, 3);
  });
});
