/**
 * The benchmarks' command lines (bench/args.ts): flags and values walked in order with clear
 * errors, and the command printed back as it can be typed again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLineOf, FlagReader } from '../../bench/args.js';

test('flags and their values are read in order; bad or missing values are refused', () => {
  const args = new FlagReader(['--quick', '--rate', '2.5', '--dir', '/tmp/x', '--topics', '3'], 'USAGE');
  assert.equal(args.next(), '--quick');
  assert.equal(args.next(), '--rate');
  assert.equal(args.positive('--rate'), 2.5);
  assert.equal(args.next(), '--dir');
  assert.equal(args.value('--dir'), '/tmp/x');
  assert.equal(args.next(), '--topics');
  assert.equal(args.positiveInteger('--topics'), 3);
  assert.equal(args.next(), undefined);

  const missing = new FlagReader(['--dir'], 'USAGE');
  assert.equal(missing.next(), '--dir');
  assert.throws(() => missing.value('--dir'), /--dir needs a value\nUSAGE/);
  assert.throws(() => new FlagReader(['0'], 'USAGE').positive('--rate'), /--rate must be a positive number/);
  assert.throws(() => new FlagReader(['Infinity'], 'USAGE').positive('--rate'), /--rate must be a positive number/);
  assert.throws(() => new FlagReader(['1.5'], 'USAGE').positiveInteger('--topics'), /--topics needs a positive integer/);
});

test('the command is printed as npm ran it, or as node runs the entry, quoted for a shell', () => {
  const lifecycle = process.env.npm_lifecycle_event;
  try {
    process.env.npm_lifecycle_event = 'bench:scale';
    assert.equal(commandLineOf('bench:scale', 'dist/bench/scale.js', []), 'npm run bench:scale');
    assert.equal(commandLineOf('bench:scale', 'dist/bench/scale.js', ['--quick']), 'npm run bench:scale -- --quick');
    delete process.env.npm_lifecycle_event;
    assert.equal(commandLineOf('bench:scale', 'dist/bench/scale.js', ['--dir', "/tmp/a b's"]), "node dist/bench/scale.js --dir '/tmp/a b'\\''s'");
  } finally {
    if (lifecycle === undefined) delete process.env.npm_lifecycle_event;
    else process.env.npm_lifecycle_event = lifecycle;
  }
});
