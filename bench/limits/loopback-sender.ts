/**
 * The sending half of the loopback measurement, run as its own process
 * (`node dist/bench/limits/loopback-sender.js PORT BYTES`) so that sender and receiver compete
 * for the cores the way a broker and its client do.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';

const CHUNK = 1024 * 1024;

async function send(port: number, total: number): Promise<void> {
  const chunk = randomBytes(CHUNK);
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    let sent = 0;
    // Writes until the socket buffers are full, then waits for 'drain': the receiver, not
    // memory, sets the pace.
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        if (!socket.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end(resolve);
    };
    socket.once('connect', pump);
  });
}

const [port, total] = process.argv.slice(2).map(Number);
if (!port || !total) {
  process.stderr.write('usage: loopback-sender PORT BYTES\n');
  process.exit(2);
}
await send(port, total);
