/**
 * The relay: a "broker" that stores nothing and only passes bytes on, run as its own process
 * (`node dist/bench/limits/relay-process.js PORT`). Each connection first sends one byte, P for
 * the producer or C for the consumer; everything the producer sends after it is written as it is
 * to the consumer. Driving it with the latency workload's clients gives the floor of end-to-end
 * latency on this machine: two loopback hops and three processes waking up, no storage.
 */
import { createServer, type Socket } from 'node:net';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: relay-process PORT\n');
  process.exit(2);
}

let consumer: Socket | undefined;
/** Bytes the producer sent before the consumer connected. */
const early: Buffer[] = [];

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.once('error', () => socket.destroy());
  socket.once('data', (first: Buffer) => {
    const role = String.fromCharCode(first[0]!);
    const rest = first.subarray(1);
    if (role === 'C') {
      consumer = socket;
      for (const chunk of early.splice(0)) socket.write(chunk);
    } else if (role === 'P') {
      const forward = (chunk: Buffer): void => {
        if (chunk.length === 0) return;
        if (consumer) consumer.write(chunk);
        else early.push(Buffer.from(chunk));
      };
      forward(rest);
      socket.on('data', forward);
    } else {
      socket.destroy();
    }
  });
});
server.listen(port, '127.0.0.1', () => process.stderr.write(`relay listening on 127.0.0.1:${port}\n`));
process.once('SIGTERM', () => {
  server.close();
  process.exit(0);
});
