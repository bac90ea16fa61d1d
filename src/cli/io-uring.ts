/**
 * Whether this process's file reads and writes go through io_uring, which the broker should
 * not use: the `tidelog broker` command warns when they do.
 *
 * Why: libuv 1.45 to 1.48 (Node 20 ships 1.46) hand file operations to an io_uring ring unless
 * UV_USE_IO_URING=0 is in the environment when the process starts (libuv reads it while the
 * event loop is created, before any JavaScript runs, so the broker cannot switch it off for
 * itself). Measured on the benchmark machine (docs/PROFILING.md): produce of 1 KiB records
 * 15-20% slower at 25% more broker CPU, warm reads at 1.7x the broker CPU, and single writes
 * that held the event loop for 20 ms and more. libuv 1.49 and later (Node 24 among them) no longer use
 * the ring for file operations unless asked (libuv pull request 4492).
 */

/** True when libuv will send file I/O through io_uring in a process started with `env`. */
export function fileIoUsesIoUring(platform: string, libuvVersion: string, env: NodeJS.ProcessEnv): boolean {
  if (platform !== 'linux') return false;
  const [major, minor] = libuvVersion.split('.').map(Number);
  if (major !== 1 || minor === undefined || minor < 45 || minor >= 49) return false;
  const setting = env.UV_USE_IO_URING;
  // libuv reads it with atoi: unset or a non-zero number means use the ring.
  return setting === undefined || (Number.parseInt(setting, 10) || 0) !== 0;
}

export const IO_URING_WARNING =
  `this Node.js (libuv ${process.versions.uv}) sends file I/O through io_uring, which measured slower and ` +
  'stalled the event loop (docs/PROFILING.md): start the broker with UV_USE_IO_URING=0 in its environment (npm start does)';
