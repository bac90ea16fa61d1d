/**
 * Child process of the scale benchmark (forked with IPC): opens `count` connections to the
 * broker, sends ApiVersions v0 once on each and waits for the answer, then leaves them idle.
 * It reports { open, answered, failed, seconds } when all are up, answers 'status' with how
 * many are still open, and exits on 'exit'. A process of its own, so that the broker's side of
 * 10,000 sockets is not measured together with the client's.
 *
 * usage: node dist/bench/scale/idle-connections.js <port> <count>
 */
import { connect, type Socket } from 'node:net';
import { apiVersions } from '../../src/protocol/messages/index.js';
import { writeRequestFrame } from '../../src/protocol/request-frame.js';

export interface IdleConnectionsReport {
  type: 'ready' | 'status';
  open: number;
  answered: number;
  failed: number;
  closedByBroker: number;
  seconds: number;
  firstError: string;
}

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
/** Connections opened at once: the broker's accept backlog is 1,024. */
const CONCURRENT = 256;

/** ApiVersions v0 (no body), sent once on each connection. */
const API_VERSIONS = writeRequestFrame(apiVersions, 0, { correlationId: 1, clientId: 'idle' }, {}).toBuffer();

const sockets: Socket[] = [];
let open = 0;
let answered = 0;
let failed = 0;
let closedByBroker = 0;
let firstError = '';
let ready = false;

function openOne(): Promise<void> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = 0;
    let connected = false;
    let settled = false;
    const settle = (): void => {
      if (!settled) {
        settled = true;
        done();
      }
    };
    socket.on('connect', () => {
      connected = true;
      open += 1;
      socket.write(API_VERSIONS);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= 4 && !settled) {
        answered += 1;
        settle();
      }
    });
    socket.on('error', (error) => {
      failed += 1;
      firstError ||= error.message;
      settle();
    });
    socket.on('close', () => {
      if (connected) open -= 1;
      if (connected && ready) closedByBroker += 1;
      settle();
    });
    sockets.push(socket);
  });
}

function report(type: IdleConnectionsReport['type'], seconds: number): IdleConnectionsReport {
  return { type, open, answered, failed, closedByBroker, seconds, firstError };
}

const started = performance.now();
for (let i = 0; i < count; i += CONCURRENT) {
  await Promise.all(Array.from({ length: Math.min(CONCURRENT, count - i) }, openOne));
}
ready = true;
process.send!(report('ready', (performance.now() - started) / 1000));
process.on('message', (message) => {
  if (message === 'status') process.send!(report('status', (performance.now() - started) / 1000));
  if (message === 'exit') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
