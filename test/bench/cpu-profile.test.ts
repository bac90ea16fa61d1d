/**
 * The profile reader behind `npm run bench:profile`: self time per function and per kind of
 * code from a V8 .cpuprofile, native frames named with their caller, idle kept out of the
 * function list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { categoryOf, summarizeCpuProfile } from '../../bench/profile/cpu-profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, scriptId: '0', columnNumber: 0 });

test('self time is summed per function and per kind of code; native frames name their caller', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-profile-'));
  try {
    const nodes = [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 6] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('(garbage collector)') },
      { id: 4, callFrame: frame('append', 'file:///repo/dist/src/storage/partition-log.js', 251), children: [5] },
      { id: 5, callFrame: frame('writeBuffers') },
      { id: 6, callFrame: frame('onStreamRead', 'node:internal/stream_base_commons', 167) },
    ];
    // Each sample is charged the time since the previous one (timeDeltas, in microseconds).
    const samples = [2, 5, 5, 4, 3, 6, 2];
    const timeDeltas = [1000, 500, 500, 250, 750, 1000, 3000];
    const path = join(dir, 'p.cpuprofile');
    writeFileSync(path, JSON.stringify({ nodes, samples, timeDeltas, startTime: 0, endTime: 7000 }));

    const summary = summarizeCpuProfile(path);
    assert.equal(summary.wallMs, 7);
    const byCategory = Object.fromEntries(summary.categories.map((c) => [c.category, c.selfMs]));
    assert.deepEqual(byCategory, {
      'idle (waiting for I/O)': 4,
      'native bindings and builtins': 1,
      "Node's JavaScript (node:*)": 1,
      'garbage collector': 0.75,
      'Tidelog src/storage': 0.25,
    });
    assert.deepEqual(
      summary.functions.map((f) => [f.label, f.selfMs]),
      [
        ['writeBuffers ← append (src/storage/partition-log.js:252)', 1],
        ['onStreamRead (node:internal/stream_base_commons:168)', 1],
        ['(garbage collector)', 0.75],
        ['append (src/storage/partition-log.js:252)', 0.25],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kinds of code: Tidelog by module, dependencies by package, Node, native, V8', () => {
  assert.equal(categoryOf(frame('read', 'file:///x/dist/src/broker/partition.js')), 'Tidelog src/broker');
  assert.equal(categoryOf(frame('f', 'file:///x/node_modules/@node-rs/crc32/index.js')), 'dependency @node-rs/crc32');
  assert.equal(categoryOf(frame('f', 'file:///x/node_modules/snappy/index.js')), 'dependency snappy');
  assert.equal(categoryOf(frame('emit', 'node:events')), "Node's JavaScript (node:*)");
  assert.equal(categoryOf(frame('writev')), 'native bindings and builtins');
  assert.equal(categoryOf(frame('(program)')), 'V8 and native code outside JavaScript');
});
