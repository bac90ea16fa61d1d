/**
 * The network limit: bytes per second over one loopback TCP connection between two Node
 * processes. A consumer reading a warm log gets its bytes from the page cache, so the socket
 * between broker and client is the ceiling for consume throughput.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { track } from '../children.js';
import { MiB, nowMs, type Transfer } from '../stats.js';

const SENDER = join(import.meta.dirname, 'loopback-sender.js');

export async function measureLoopback(
  settings: { totalMiB: number; repeat: number },
  log: (message: string) => void,
): Promise<Transfer[]> {
  const transfers: Transfer[] = [];
  for (let i = 0; i < settings.repeat; i++) {
    log(`loopback: ${settings.totalMiB} MiB from one Node process to another (${i + 1}/${settings.repeat})`);
    transfers.push(await transferOnce(settings.totalMiB * MiB));
  }
  return transfers;
}

/** Receives `total` bytes from a child process; timed from the accepted connection to its end. */
async function transferOnce(total: number): Promise<Transfer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const received = new Promise<Transfer>((resolve, reject) => {
    server.once('connection', (socket) => {
      const start = nowMs();
      let bytes = 0;
      socket.on('data', (data: Buffer) => {
        bytes += data.length;
      });
      socket.once('end', () => {
        const seconds = (nowMs() - start) / 1000;
        if (bytes !== total) reject(new Error(`loopback: received ${bytes} of ${total} bytes`));
        else resolve({ bytes, seconds });
      });
      socket.once('error', reject);
    });
  });
  const child = track(spawn(process.execPath, [SENDER, String(port), String(total)], { stdio: ['ignore', 'inherit', 'inherit'] }));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    // A sender that fails (say, cannot connect) must fail the measurement, not leave it waiting.
    const senderFailed = exited.then((code): Promise<Transfer> => {
      if (code !== 0) throw new Error(`loopback sender exited with ${code}`);
      return received;
    });
    return await Promise.race([received, senderFailed]);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    server.close();
  }
}
