/**
 * The scale benchmark (issue 6): `npm run bench:scale [-- options]` (compiles, then runs
 * dist/bench/scale.js; `--help` lists the options).
 *
 * What the broker costs with many partitions and many connections, read from the outside
 * (resident memory and open descriptors from /proc) on a broker child process:
 *   1. 1,000 partitions (10 topics x 100): started empty, the partitions idle, while a producer
 *      writes to every one of them, while slow consumers fetch everything and read their sockets
 *      slowly, after a clean restart and after a crash (SIGKILL) and its recovery;
 *   2. 10,000 idle connections (each sent ApiVersions once) on that broker, how fast a fresh
 *      client is answered meanwhile, and connections.max.idle.ms closing them;
 * and from the inside (an in-process broker, heap after a full GC): bytes per partition and per
 * idle connection, timers and descriptors. It prints the figures and rewrites the
 * `bench scale` section of docs/BENCHMARKS.md. Nothing here asserts on timings.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { shownBrokerCommand } from './broker.js';
import { commandLineOf, FlagReader } from './args.js';
import { commitOf } from './machine.js';
import { writeMarkedSection } from './markdown-section.js';
import { killBrokers, startBroker, type BrokerChild, type DescriptorKinds } from './scale/broker-child.js';
import { freePort } from './proc.js';
import type { IdleConnectionsReport } from './scale/idle-connections.js';
import type { InProcessFigures } from './scale/in-process.js';
import { createTopicsFor, produceToAll, requestLatency, slowConsumers, sumOfLogEndOffsets, type Layout, type LatencyResult, type ProduceResult, type SlowConsumerResult } from './scale/load.js';

const DOC = resolve(import.meta.dirname, '../../docs/BENCHMARKS.md');
const GENERATOR = '`npm run bench:scale` (bench/scale.ts)';
const MiB = 1024 * 1024;

const USAGE = `usage: npm run bench:scale -- [options]
  --quick              shorter loads and 2,000 connections (checks that the benchmark works)
  --connections N      idle connections to open (default 10000; capped by the descriptor limit)
  --topics N           topics (default 10)
  --partitions N       partitions per topic (default 100)
  --idle-ms N          connections.max.idle.ms for the idle-connection step (default 10000)
  --no-doc             print only; do not rewrite docs/BENCHMARKS.md
`;

interface Options {
  quick: boolean;
  connections: number;
  layout: Layout;
  idleMs: number;
  writeDoc: boolean;
  argv: string[];
}

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, connections: 10_000, layout: { topics: 10, perTopic: 100 }, idleMs: 10_000, writeDoc: true, argv };
  let connectionsGiven = false;
  const args = new FlagReader(argv, USAGE);
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '--quick') options.quick = true;
    else if (arg === '--connections') {
      options.connections = args.positiveInteger(arg);
      connectionsGiven = true;
    } else if (arg === '--topics') options.layout.topics = args.positiveInteger(arg);
    else if (arg === '--partitions') options.layout.perTopic = args.positiveInteger(arg);
    else if (arg === '--idle-ms') options.idleMs = args.positiveInteger(arg);
    else if (arg === '--no-doc') options.writeDoc = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (options.quick && !connectionsGiven) options.connections = 2_000;
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench:scale] ${message}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The broker's resident memory and descriptors at one moment. */
interface Snapshot {
  rss: number;
  descriptors: DescriptorKinds;
}

function snapshot(broker: BrokerChild): Snapshot {
  return { rss: broker.residentBytes(), descriptors: broker.descriptorKinds() };
}

/** Resident memory sampled during a load; the peak is what the load cost at worst. */
class RssSampler {
  peak = 0;
  constructor(private readonly broker: BrokerChild) {}
  sample = (): void => {
    const rss = this.broker.residentBytes();
    if (rss > this.peak) this.peak = rss;
  };
}

/** The descriptor limit a child process gets (Node raises its soft limit to the hard one). */
function descriptorLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || 1024;
  } catch {
    return 1024;
  }
}

function runInProcess(layout: Layout, connections: number): InProcessFigures {
  const script = resolve(import.meta.dirname, 'scale/in-process.js');
  const output = execFileSync(process.execPath, ['--expose-gc', script, String(layout.topics), String(layout.perTopic), String(connections)], {
    encoding: 'utf8',
    env: { ...process.env, TIDELOG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * MiB,
  });
  return JSON.parse(output.trim().split('\n').pop()!) as InProcessFigures;
}

interface Results {
  options: Options;
  date: string;
  commit: string;
  wholeRunS: number;
  descriptorLimit: number;
  connections: number;
  inProcess: InProcessFigures;
  empty: Snapshot;
  createS: number;
  idle: Snapshot;
  produce: ProduceResult;
  producingPeak: number;
  afterProduce: Snapshot;
  slow: SlowConsumerResult & { settings: { consumers: number; pipelined: number; maxBytes: number; partitionMaxBytes: number; readBytesPerSecond: number } };
  slowPeak: number;
  afterSlow: Snapshot;
  offsets: number;
  cleanRestart: { startMs: number; openMs: number; snapshot: Snapshot; offsetsMatch: boolean };
  crashProduce: ProduceResult;
  crashRestart: { startMs: number; openMs: number; snapshot: Snapshot; offsetsMatch: boolean; recoveredLogs: number };
  connectionsBefore: Snapshot;
  connected: Snapshot & { openS: number; report: IdleConnectionsReport };
  latencyIdle: LatencyResult;
  latencyConnected: LatencyResult;
  idleClose: { closed: number; afterS: number; snapshot: Snapshot };
}

async function run(options: Options): Promise<Results> {
  const started = performance.now();
  const { layout } = options;
  const partitions = layout.topics * layout.perTopic;
  const limit = descriptorLimit();
  // The broker needs one descriptor per partition and a few hundred of its own besides the sockets.
  const connections = Math.min(options.connections, limit - partitions - 500);
  if (connections < options.connections) log(`the descriptor limit (ulimit -Hn ${limit}) allows ${connections} connections, not ${options.connections}`);

  log(`in-process broker: ${partitions} partitions, ${Math.min(connections, 2_000)} connections (heap after a full GC)`);
  const inProcess = runInProcess(layout, Math.min(connections, 2_000));

  const root = mkdtempSync(join(tmpdir(), 'tidelog-bench-scale-'));
  const dataDir = join(root, 'data');
  const port = await freePort();
  let broker: BrokerChild | undefined;
  try {
    log(`broker on 127.0.0.1:${port}, data in ${dataDir}`);
    broker = await startBroker(dataDir, port);
    await sleep(500);
    const empty = snapshot(broker);

    log(`creating ${layout.topics} topics x ${layout.perTopic} partitions`);
    const createStarted = performance.now();
    await createTopicsFor(port, layout);
    const createS = (performance.now() - createStarted) / 1000;
    await sleep(1000);
    const idle = snapshot(broker);

    const produceSettings = { records: 10, valueBytes: 100, inFlight: 4, durationS: options.quick ? 3 : 10 };
    log(`producing to all ${partitions} partitions for ${produceSettings.durationS} s`);
    const producing = new RssSampler(broker);
    const produce = await produceToAll(port, layout, produceSettings, producing.sample);
    producing.sample();
    await sleep(1000);
    const afterProduce = snapshot(broker);

    const slowSettings = { consumers: 8, pipelined: 4, maxBytes: 50 * MiB, partitionMaxBytes: MiB, readBytesPerSecond: 256 * 1024, durationS: options.quick ? 3 : 10 };
    log(`${slowSettings.consumers} slow consumers, each ${slowSettings.pipelined} pipelined fetches of every partition, for ${slowSettings.durationS} s`);
    const slowSampler = new RssSampler(broker);
    const slow = await slowConsumers(port, layout, slowSettings, slowSampler.sample);
    slowSampler.sample();
    await sleep(1000);
    const afterSlow = snapshot(broker);

    const offsets = await sumOfLogEndOffsets(port, layout);
    if (offsets !== produce.records) log(`warning: the logs hold ${offsets} records, the producer counted ${produce.records}`);

    log('clean restart (SIGTERM, start again)');
    await broker.stop();
    broker = await startBroker(dataDir, port);
    await sleep(500);
    const cleanRestart = {
      startMs: broker.startMs,
      openMs: broker.logged.openMs,
      snapshot: snapshot(broker),
      offsetsMatch: (await sumOfLogEndOffsets(port, layout)) === offsets,
    };

    log('crash restart: produce for 2 s, SIGKILL, start again (every log recovers its active segment)');
    const crashProduce = await produceToAll(port, layout, { ...produceSettings, durationS: 2 });
    await broker.kill();
    broker = await startBroker(dataDir, port);
    await sleep(500);
    const recoveredLogs = broker.recoveredLogs();
    const crashRestart = {
      startMs: broker.startMs,
      openMs: broker.logged.openMs,
      snapshot: snapshot(broker),
      // Every acknowledged record was handed to the OS before the answer, so a process crash loses none.
      offsetsMatch: (await sumOfLogEndOffsets(port, layout)) === offsets + crashProduce.records,
      recoveredLogs,
    };

    log(`restart with connections.max.idle.ms=${options.idleMs}; ${connections} idle connections`);
    await broker.stop();
    broker = await startBroker(dataDir, port, { 'connections.max.idle.ms': String(options.idleMs) });
    await sleep(500);
    const latencyIdle = await requestLatency(port, 200);
    const connectionsBefore = snapshot(broker);
    const child = fork(resolve(import.meta.dirname, 'scale/idle-connections.js'), [String(port), String(connections)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const nextReport = (): Promise<IdleConnectionsReport> => new Promise((done) => child.once('message', (message) => done(message as IdleConnectionsReport)));
    try {
      const openStarted = performance.now();
      const ready = await nextReport();
      const openS = (performance.now() - openStarted) / 1000;
      if (ready.answered !== connections) log(`warning: ${ready.answered} of ${connections} connections answered (${ready.failed} failed: ${ready.firstError})`);
      await sleep(500);
      const connected = { ...snapshot(broker), openS, report: ready };
      const latencyConnected = await requestLatency(port, 200);
      log(`waiting for connections.max.idle.ms (${options.idleMs} ms) to close them`);
      const waitStarted = performance.now();
      let status = ready;
      while (performance.now() - waitStarted < options.idleMs + 60_000) {
        await sleep(250);
        child.send('status');
        status = await nextReport();
        if (status.open === 0) break;
      }
      const afterS = (performance.now() - openStarted) / 1000;
      await sleep(1000);
      const idleClose = { closed: status.closedByBroker, afterS, snapshot: snapshot(broker) };
      await broker.stop();
      return {
        options,
        date: new Date().toISOString(),
        commit: commitOf(),
        wholeRunS: (performance.now() - started) / 1000,
        descriptorLimit: limit,
        connections,
        inProcess,
        empty,
        createS,
        idle,
        produce,
        producingPeak: producing.peak,
        afterProduce,
        slow: { ...slow, settings: slowSettings },
        slowPeak: slowSampler.peak,
        afterSlow,
        offsets,
        cleanRestart,
        crashProduce,
        crashRestart,
        connectionsBefore,
        connected,
        latencyIdle,
        latencyConnected,
        idleClose,
      };
    } finally {
      if (child.connected) child.send('exit');
      child.kill();
    }
  } finally {
    killBrokers();
    rmSync(root, { recursive: true, force: true });
  }
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const int = (value: number): string => Math.round(value).toLocaleString('en-US');
const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

function descriptors(kinds: DescriptorKinds): string {
  return `${int(kinds.total)} (${int(kinds.log)} .log, ${int(kinds.index)} .index, ${int(kinds.timeindex)} .timeindex, ${int(kinds.sockets)} sockets, ${int(kinds.otherFiles + kinds.other)} other)`;
}

function markdown(results: Results): string {
  const { options, inProcess } = results;
  const partitions = options.layout.topics * options.layout.perTopic;
  const command = commandLineOf('bench:scale', 'dist/bench/scale.js', options.argv);
  const cpu = cpus();
  const perPartitionRss = (results.idle.rss - results.empty.rss) / partitions;
  const perConnectionRss = (results.connected.rss - results.connectionsBefore.rss) / results.connections;
  const ip = inProcess;
  const heapPerPartition = (ip.created.heapUsed - ip.started.heapUsed) / ip.partitions;
  const buffersPerPartition = (ip.created.arrayBuffers - ip.started.arrayBuffers) / ip.partitions;
  const heapPerPartitionWritten = (ip.appended.heapUsed - ip.started.heapUsed) / ip.partitions;
  const buffersPerPartitionWritten = (ip.appended.arrayBuffers - ip.started.arrayBuffers) / ip.partitions;
  const heapPerConnection = ip.connections > 0 ? (ip.connected.heapUsed - ip.appended.heapUsed) / ip.connections : NaN;
  const rssPerConnectionInside = ip.connections > 0 ? (ip.connected.rss - ip.appended.rss) / ip.connections : NaN;
  const produce = results.produce;
  const slow = results.slow;
  const lines: string[] = [];
  lines.push(`## Scale: ${int(partitions)} partitions, ${int(results.connections)} idle connections, slow consumers`);
  lines.push('');
  lines.push(`- Command: \`${command}\`${options.quick ? ' (a short run: rough figures, for checking that the benchmark works)' : ''}`);
  lines.push(`- Date: ${results.date}; Tidelog commit ${results.commit}; whole run ${int(results.wholeRunS)} s`);
  lines.push(
    `- Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, Linux ${release()}, Node ${process.version}; descriptor limit (ulimit -Hn) ${int(results.descriptorLimit)}`,
  );
  lines.push(
    `- Broker: \`${shownBrokerCommand('--set listeners=PLAINTEXT://127.0.0.1:<port> --set log.dirs=<tmp>/data')}\`, defaults otherwise, as a child process; the load comes from the benchmark process (Tidelog's protocol codecs on bare sockets) and, for the idle connections, from one more child process. RSS is VmRSS from /proc/<pid>/status; descriptors are /proc/<pid>/fd.`,
  );
  lines.push(`- Topics: ${options.layout.topics} × ${options.layout.perTopic} partitions (created in ${results.createS.toFixed(1)} s), replication factor 1.`);
  lines.push('');
  lines.push(`### ${int(partitions)} partitions`);
  lines.push('');
  lines.push('| state | broker RSS MiB | open descriptors | |');
  lines.push('|---|---:|---|---|');
  lines.push(`| started, no topic | ${mib(results.empty.rss)} | ${descriptors(results.empty.descriptors)} | |`);
  lines.push(`| ${int(partitions)} partitions, idle | **${mib(results.idle.rss)}** | ${descriptors(results.idle.descriptors)} | |`);
  lines.push(
    `| producing to every partition (peak) | **${mib(results.producingPeak)}** | | ${int(produce.records / produce.seconds)} records/s, ${(produce.valueBytes / produce.seconds / 1e6).toFixed(1)} MB/s of values, ${produce.requests} requests of ${mib(produce.requestBytes / Math.max(1, produce.requests))} MiB for ${produce.seconds.toFixed(1)} s; ${produce.errors} partition errors |`,
  );
  lines.push(`| after producing | ${mib(results.afterProduce.rss)} | ${descriptors(results.afterProduce.descriptors)} | ${int(results.offsets)} records stored |`);
  lines.push(
    `| ${slow.settings.consumers} slow consumers (peak) | **${mib(results.slowPeak)}** | | each pipelines ${slow.settings.pipelined} fetches of every partition from offset 0 (max_bytes ${mib(slow.settings.maxBytes)} MiB, ${mib(slow.settings.partitionMaxBytes)} MiB per partition) and reads ~${kib(slow.settings.readBytesPerSecond)} KiB/s; ${mib(slow.bytesRead)} MiB read in ${slow.seconds.toFixed(1)} s |`,
  );
  lines.push(`| after the slow consumers left | ${mib(results.afterSlow.rss)} | ${descriptors(results.afterSlow.descriptors)} | |`);
  lines.push(
    `| after a clean restart | **${mib(results.cleanRestart.snapshot.rss)}** | ${descriptors(results.cleanRestart.snapshot.descriptors)} | ${int(partitions)} logs opened in ${int(results.cleanRestart.openMs)} ms, ready ${int(results.cleanRestart.startMs)} ms after spawn; offsets ${results.cleanRestart.offsetsMatch ? 'all there' : 'DIFFER'} |`,
  );
  lines.push(
    `| after a crash (SIGKILL) | **${mib(results.crashRestart.snapshot.rss)}** | ${descriptors(results.crashRestart.snapshot.descriptors)} | ${int(results.crashRestart.recoveredLogs)} logs recovered (active segments scanned, CRC checked) in ${int(results.crashRestart.openMs)} ms, ready ${int(results.crashRestart.startMs)} ms after spawn, after ${int(results.crashProduce.records)} more records in 2 s; offsets ${results.crashRestart.offsetsMatch ? 'all there' : 'DIFFER'} |`,
  );
  lines.push('');
  lines.push(
    `Per partition: ${kib(perPartitionRss)} KiB of RSS (idle minus empty, over ${int(partitions)}); from the inside, after a full GC, ${kib(heapPerPartition)} KiB of V8 heap and ${kib(buffersPerPartition)} KiB of index buffers when created, ${kib(heapPerPartitionWritten)} KiB and ${kib(buffersPerPartitionWritten)} KiB once written to; ${(((ip.appended.descriptors - ip.started.descriptors) / ip.partitions)).toFixed(2)} descriptors (the active segment's .log; index files are open only while they are written) and ${ip.appended.timers - ip.started.timers} timers for all ${int(ip.partitions)} (flush.ms and segment deletion timers exist only when configured or scheduled).`,
  );
  lines.push('');
  lines.push(`### ${int(results.connections)} idle connections`);
  lines.push('');
  lines.push('| state | broker RSS MiB | open descriptors | ApiVersions p50 / p99 ms | Metadata p50 / p99 ms |');
  lines.push('|---|---:|---|---:|---:|');
  const latency = (result: LatencyResult, which: 'apiVersionsMs' | 'metadataMs'): string => `${result[which].p50.toFixed(2)} / ${result[which].p99.toFixed(2)}`;
  lines.push(`| ${int(partitions)} partitions, no client | ${mib(results.connectionsBefore.rss)} | ${descriptors(results.connectionsBefore.descriptors)} | ${latency(results.latencyIdle, 'apiVersionsMs')} | ${latency(results.latencyIdle, 'metadataMs')} |`);
  lines.push(
    `| ${int(results.connections)} idle connections | **${mib(results.connected.rss)}** | ${descriptors(results.connected.descriptors)} | ${latency(results.latencyConnected, 'apiVersionsMs')} | ${latency(results.latencyConnected, 'metadataMs')} |`,
  );
  lines.push(`| after connections.max.idle.ms closed them | ${mib(results.idleClose.snapshot.rss)} | ${descriptors(results.idleClose.snapshot.descriptors)} | | |`);
  lines.push('');
  lines.push(
    `Opening them took ${results.connected.openS.toFixed(1)} s (${results.connected.report.answered} answered, ${results.connected.report.failed} failed), 256 at a time, each sending ApiVersions v0 once. Per connection: ${kib(perConnectionRss)} KiB of broker RSS; from the inside ${kib(heapPerConnection)} KiB of V8 heap (${kib(rssPerConnectionInside)} KiB RSS) over ${int(ip.connections)} connections — Node's socket objects and the connection's handlers, no buffer is preallocated per connection. The broker was restarted with connections.max.idle.ms=${int(options.idleMs)} for this step (Kafka's default, 600,000, is too long to watch); it had closed ${int(results.idleClose.closed)} of them ${results.idleClose.afterS.toFixed(1)} s after they were opened. Latencies: 200 sequential requests on a fresh connection (Metadata of one 100-partition topic).`,
  );
  lines.push('');
  lines.push('How to read it:');
  lines.push('');
  lines.push(
    '- Fetch answers are read into memory (Kafka sends them from the page cache with sendfile), so the broker bounds what they hold: one fetch at a time per connection, the next one started once the previous answer is handed to the kernel, and 128 MiB for the record data of all fetch answers together (src/broker/fetch-memory-pool.ts); past that a fetch gets one batch (KIP-74). The slow-consumer row shows that bound, not the consumers\' max_bytes: before it (every pipelined fetch read at once), the same step of a `--quick` run peaked at 1,851 MiB.',
  );
  lines.push(
    '- The .log descriptors include the metadata log\'s (the one open before any topic). A partition keeps its active segment\'s .log open; older segments open on first read and index files only while they are written, where Kafka keeps every segment open and its indexes mapped.',
  );
  lines.push(
    '- While producing, RSS also holds the logs\' in-memory tails (recent appends kept for consumers at the end of the log, 64 MiB for the broker) and what the allocator keeps of freed request buffers; a restart shows the resting size.',
  );
  lines.push('- RSS includes V8\'s heap as it last grew; it does not shrink at once when load stops. One run per figure, on the same 2 shared cores as the load; MiB = 2^20 bytes, MB = 10^6.');
  return lines.join('\n');
}

function summary(results: Results): string {
  return `${markdown(results)}\n`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const onSignal = (): void => {
    killBrokers();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const results = await run(options);
  process.stdout.write(summary(results));
  if (options.writeDoc) {
    const outcome = writeMarkedSection(DOC, 'bench scale', markdown(results), GENERATOR);
    log(`docs/BENCHMARKS.md: section ${outcome}`);
  }
}

main().catch((error: unknown) => {
  killBrokers();
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
