import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OffsetCheckpointFile } from '../../src/storage/checkpoint-file.js';
import { InstrumentedFileSystem, temporaryDirectory } from './helpers.js';

test('writes Kafka checkpoint text atomically and coalesces queued writes', async () => {
  const dir = temporaryDirectory();
  try {
    const fileSystem = new InstrumentedFileSystem();
    const file = new OffsetCheckpointFile(fileSystem, dir.path, 'recovery-point-offset-checkpoint');
    assert.equal(await file.read(), null);
    await file.write(42);
    assert.equal(readFileSync(join(dir.path, 'recovery-point-offset-checkpoint'), 'utf8'), '0\n1\n42\n');
    assert.ok(!existsSync(join(dir.path, 'recovery-point-offset-checkpoint.tmp')));
    const renames = fileSystem.count('rename');
    await Promise.all([file.write(43), file.write(44), file.write(45)]);
    assert.ok(fileSystem.count('rename') - renames <= 2);
    assert.equal(await file.read(), 45);
    writeFileSync(join(dir.path, 'recovery-point-offset-checkpoint'), 'garbage');
    assert.equal(await file.read(), null);
  } finally {
    dir.remove();
  }
});
