/**
 * The relay driver (see bench/limits/relay-process.ts): frames of a 4-byte length and the value
 * over a bare socket, with nothing to create and no acknowledgement, so append() is done once
 * the bytes are handed to the kernel. Only the latency workload uses it, as its floor.
 */
import { createConnection, type Socket } from 'node:net';
import type { Driver } from './driver.js';

export function openRelay(address: string): Driver {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  let producer: Promise<Socket> | undefined;

  const open = (role: 'P' | 'C'): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = createConnection({ host, port }, () => {
        socket.setNoDelay(true);
        socket.write(role);
        resolve(socket);
      });
      socket.once('error', reject);
    });

  return {
    create: () => Promise.resolve(),

    async append(_name, _partition, values) {
      const socket = await (producer ??= open('P'));
      const frames: Buffer[] = [];
      for (const value of values) {
        const length = Buffer.allocUnsafe(4);
        length.writeUInt32BE(value.length);
        frames.push(length, value);
      }
      await new Promise<void>((resolve, reject) => socket.write(Buffer.concat(frames), (error) => (error ? reject(error) : resolve())));
    },

    async read(_name, counts, onValue, onReady) {
      const socket = await open('C');
      onReady?.();
      let left = counts.reduce((a, b) => a + b, 0);
      let buffered: Buffer = Buffer.alloc(0);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.on('data', (chunk: Buffer) => {
          buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
          while (left > 0 && buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
            const end = 4 + buffered.readUInt32BE(0);
            onValue(buffered.subarray(4, end));
            buffered = buffered.subarray(end);
            left--;
          }
          if (left === 0) resolve();
        });
      });
      socket.destroy();
    },

    async close() {
      if (producer) (await producer).end();
    },
  };
}
