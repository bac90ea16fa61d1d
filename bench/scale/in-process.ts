/**
 * Child process of the scale benchmark, run with --expose-gc: a broker in this process, so that
 * what one partition and one idle connection cost can be read from the inside (V8 heap,
 * ArrayBuffers, timers, descriptors) after a full garbage collection, which the resident size
 * seen from outside cannot separate. Prints one JSON line (InProcessFigures) on stdout.
 *
 * usage: node --expose-gc dist/bench/scale/in-process.js <topics> <partitions per topic> <connections>
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import type { IdleConnectionsReport } from './idle-connections.js';

export interface MemorySample {
  heapUsed: number;
  arrayBuffers: number;
  external: number;
  rss: number;
  descriptors: number;
  timers: number;
}

export interface InProcessFigures {
  partitions: number;
  connections: number;
  started: MemorySample;
  created: MemorySample;
  appended: MemorySample;
  connected: MemorySample;
}

function sample(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return {
    heapUsed: usage.heapUsed,
    arrayBuffers: usage.arrayBuffers,
    external: usage.external,
    rss: usage.rss,
    descriptors: readdirSync('/proc/self/fd').length,
    timers: process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length,
  };
}

const topics = Number(process.argv[2] ?? 10);
const perTopic = Number(process.argv[3] ?? 100);
const connections = Number(process.argv[4] ?? 0);
const dataDir = mkdtempSync(join(tmpdir(), 'tidelog-scale-in-process-'));
const broker = new Broker(BrokerConfig.load({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir } }));
try {
  await broker.start();
  const started = sample();
  for (let topic = 0; topic < topics; topic++) {
    await broker.controller.createTopic({ name: `scale-${topic}`, numPartitions: perTopic, replicationFactor: 1 });
  }
  const partitions = broker.replicaManager.allPartitions();
  const created = sample();
  // One small batch each: the active segment's file is open and its writer has run.
  for (const partition of partitions) {
    await partition.appendRecordsFromClient(buildRecordBatch({ records: [{ value: Buffer.alloc(100) }] }), { acks: 1, produceVersion: 9 });
  }
  const appended = sample();
  let connected = appended;
  if (connections > 0) {
    const child = fork(resolve(import.meta.dirname, 'idle-connections.js'), [String(broker.boundPort()), String(connections)], { stdio: 'inherit' });
    const ready = await new Promise<IdleConnectionsReport>((done) => child.once('message', (message) => done(message as IdleConnectionsReport)));
    if (ready.answered !== connections) throw new Error(`only ${ready.answered} of ${connections} connections were answered: ${ready.firstError}`);
    connected = sample();
    child.send('exit');
    await new Promise((done) => child.once('exit', done));
  }
  const figures: InProcessFigures = { partitions: partitions.length, connections, started, created, appended, connected };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
