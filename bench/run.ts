/**
 * The Tidelog benchmark: `npm run bench [-- options]` (compiles, then runs dist/bench/run.js;
 * `--help` lists the options).
 *
 * One run measures the machine's limits (sequential disk writes into the filesystem that holds
 * the broker's data, loopback TCP between two processes), starts a broker as a child process,
 * drives it with a librdkafka C client (produce 1 KiB and 100 B records, then read them back),
 * prints every figure beside its limit and rewrites its section of docs/BENCHMARKS.md. Nothing
 * here asserts on timings: the figures are for reading, not for passing or failing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker, type Broker } from './broker.js';
import { killAllChildren } from './children.js';
import { RdkafkaPerf } from './clients/rdkafka.js';
import { measureDisk } from './limits/disk.js';
import { measureLoopback } from './limits/loopback.js';
import { describeMachine } from './machine.js';
import { writeMarkedSection } from './markdown-section.js';
import { commandLine, parseOptions, USAGE, type Options } from './options.js';
import { markdownSection, textSummary, type BenchResult } from './report.js';
import { nowMs } from './stats.js';
import { runWorkloads } from './throughput.js';

const DOC = resolve(import.meta.dirname, '../../docs/BENCHMARKS.md');
const RAW = resolve(import.meta.dirname, 'last-run.json');

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function bench(options: Options, command: string): Promise<BenchResult> {
  const started = nowMs();
  // One temporary root for everything: the disk probe writes next to the broker's data, so both
  // meet the same filesystem, and one rm cleans up the data, the probe files and the client build.
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'tidelog-bench-'));
  const dirs = { disk: join(root, 'disk'), data: join(root, 'data'), build: join(root, 'build') };
  for (const dir of Object.values(dirs)) mkdirSync(dir);
  let broker: Broker | undefined;
  const abort = (signal: NodeJS.Signals): void => {
    log(`${signal}: ending the broker and clients, removing ${root}`);
    killAllChildren();
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    // Built first, so a missing librdkafka-dev fails the run before minutes of measuring.
    log(`building the C client in ${dirs.build}`);
    const client = RdkafkaPerf.build(dirs.build);

    const disk = measureDisk(dirs.disk, { totalMiB: options.diskMiB, repeat: options.repeat, syncedProbeS: options.syncedProbeS }, log);
    const loopback = await measureLoopback({ totalMiB: options.loopbackMiB, repeat: options.repeat }, log);

    broker = await startBroker(dirs.data);
    log(`broker pid ${broker.pid} listening on ${broker.bootstrap}`);
    const workloads = await runWorkloads(broker, client, { count: options.count, durationS: options.durationS }, log);
    const brokerResidentBytes = broker.residentBytes();
    log('stopping the broker (SIGTERM)');
    const brokerSettings = broker.settings;
    const brokerExit = await broker.stop();
    if (brokerExit.code !== 0) log(`broker exited with ${brokerExit.code ?? brokerExit.signal}; its log:\n${broker.output()}`);
    broker = undefined;

    return {
      date: new Date().toISOString(),
      command,
      options,
      machine: describeMachine(dirs.data, client.librdkafkaVersion),
      disk,
      loopback,
      workloads,
      brokerSettings,
      brokerResidentBytes,
      brokerExit,
      totalSeconds: (nowMs() - started) / 1000,
    };
  } finally {
    if (broker) {
      broker.kill();
      await broker.stop();
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(argv);
  const result = await bench(options, commandLine(argv));
  process.stdout.write(`\n${textSummary(result)}`);
  writeFileSync(RAW, `${JSON.stringify(result, null, 2)}\n`);
  log(`raw results in ${RAW}`);
  if (options.writeDocs) {
    const how = writeMarkedSection(DOC, 'bench throughput', markdownSection(result), '`npm run bench` (bench/run.ts)');
    log(`${how} the throughput section of ${DOC}`);
  }
  // A broker that does not stop cleanly on SIGTERM is a bug the benchmark must not hide.
  if (result.brokerExit.code !== 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
