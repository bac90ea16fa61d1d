/**
 * When the broker warns that file I/O goes through io_uring (src/cli/io-uring.ts): only on
 * Linux, only with libuv 1.45-1.48, and only when UV_USE_IO_URING does not switch it off the
 * way libuv reads it (atoi: unset or non-zero means on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileIoUsesIoUring } from '../../src/cli/io-uring.js';

test('libuv 1.45-1.48 on Linux uses io_uring unless UV_USE_IO_URING is 0', () => {
  assert.equal(fileIoUsesIoUring('linux', '1.46.0', {}), true);
  assert.equal(fileIoUsesIoUring('linux', '1.45.0', { UV_USE_IO_URING: '1' }), true);
  assert.equal(fileIoUsesIoUring('linux', '1.48.0', { UV_USE_IO_URING: '2' }), true);
  assert.equal(fileIoUsesIoUring('linux', '1.46.0', { UV_USE_IO_URING: '0' }), false);
  assert.equal(fileIoUsesIoUring('linux', '1.46.0', { UV_USE_IO_URING: 'no' }), false, 'atoi("no") is 0');
});

test('other versions and platforms never send file I/O to io_uring by default', () => {
  assert.equal(fileIoUsesIoUring('linux', '1.44.2', {}), false);
  assert.equal(fileIoUsesIoUring('linux', '1.49.0', {}), false);
  assert.equal(fileIoUsesIoUring('linux', '1.52.1', {}), false);
  assert.equal(fileIoUsesIoUring('darwin', '1.46.0', {}), false);
  assert.equal(fileIoUsesIoUring('linux', '', {}), false);
});
