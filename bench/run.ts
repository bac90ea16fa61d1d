/**
 * The Tidelog benchmark: `npm run bench [-- options]` (compiles, then runs dist/bench/run.js;
 * `--help` lists the options).
 *
 * One run measures the machine's limits (sequential disk writes into the filesystem that holds
 * the data, loopback TCP between two processes), then takes one system at a time — Tidelog,
 * any --peer-kafka broker, then each peer it can start here (NATS JetStream, Redis Streams,
 * RabbitMQ streams) — and drives it with the selected workloads: the librdkafka throughput
 * matrix (Kafka-API systems only), the Node-client throughput comparison, and end-to-end latency
 * at a fixed rate, whose floor is measured first on a relay that stores nothing. A system
 * started here runs alone, as a child process with its data in the run's temporary directory,
 * and is stopped before the next one starts. It prints every table and rewrites the matching
 * sections of docs/BENCHMARKS.md. Nothing here asserts on timings: the figures are for reading.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTidelog } from './broker.js';
import { killAllChildren } from './children.js';
import { RdkafkaPerf } from './clients/rdkafka.js';
import { runCompare } from './compare.js';
import { runLatency, type LatencySettings } from './latency.js';
import { measureDisk } from './limits/disk.js';
import { measureLoopback } from './limits/loopback.js';
import { startRelay } from './limits/relay.js';
import { describeMachine } from './machine.js';
import { writeMarkedSection } from './markdown-section.js';
import { commandLine, parseOptions, USAGE, type Options, type PeerName } from './options.js';
import { natsVersion, startNats } from './peers/nats.js';
import { rabbitmqVersion, startRabbitmq } from './peers/rabbitmq.js';
import { redisVersion, startRedis } from './peers/redis.js';
import { compareMarkdown } from './report/compare.js';
import { latencyMarkdown } from './report/latency.js';
import { matrixMarkdown } from './report/matrix.js';
import type { BenchResult, SystemInfo } from './report/result.js';
import { textSummary } from './report/summary.js';
import { MiB, nowMs } from './stats.js';
import { externalKafka, type Protocol, type System } from './system.js';
import { runMatrix } from './throughput.js';

const DOC = resolve(import.meta.dirname, '../../docs/BENCHMARKS.md');
const RAW = resolve(import.meta.dirname, 'last-run.json');
const GENERATOR = '`npm run bench` (bench/run.ts)';

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A system the run will drive, and how to start it (or only name it, when it is someone else's). */
interface Candidate {
  name: string;
  protocol: Protocol;
  start: () => Promise<System>;
  /** Its data directory, removed once it is stopped so the next system has the disk to itself. */
  dataDir?: string;
}

/** How to start each peer, and the Debian package that brings it. */
interface PeerStarter {
  installed: () => string | undefined;
  debianPackage: string;
  name: string;
  protocol: Protocol;
  start: (dir: string) => Promise<System>;
}

const PEER_STARTERS: Record<PeerName, PeerStarter> = {
  nats: { installed: natsVersion, debianPackage: 'nats-server', name: 'NATS', protocol: 'nats', start: startNats },
  redis: { installed: redisVersion, debianPackage: 'redis-server', name: 'Redis', protocol: 'redis', start: startRedis },
  rabbitmq: { installed: rabbitmqVersion, debianPackage: 'rabbitmq-server', name: 'RabbitMQ', protocol: 'rabbitmq', start: startRabbitmq },
};

function candidates(options: Options, root: string): Candidate[] {
  const tidelogDir = join(root, 'tidelog');
  const list: Candidate[] = [{ name: 'Tidelog', protocol: 'kafka', start: () => startTidelog(tidelogDir), dataDir: tidelogDir }];
  for (const address of options.peerKafka) list.push({ name: `Kafka ${address}`, protocol: 'kafka', start: () => Promise.resolve(externalKafka(address)) });
  // Only the comparison and latency workloads drive peers other than Kafka ones.
  if (!options.only.includes('compare') && !options.only.includes('e2e')) return list;
  for (const peer of Object.keys(PEER_STARTERS) as PeerName[]) {
    const starter = PEER_STARTERS[peer];
    if (options.peers === undefined && !starter.installed()) {
      log(`${peer}: not installed, skipped (apt-get install ${starter.debianPackage} to include it)`);
      continue;
    }
    if (options.peers !== undefined && !options.peers.includes(peer)) continue;
    const dir = join(root, peer);
    list.push({ name: starter.name, protocol: starter.protocol, start: () => starter.start(dir), dataDir: dir });
  }
  return list;
}

async function bench(options: Options, command: string): Promise<BenchResult> {
  const started = nowMs();
  const want = (workload: Options['only'][number]): boolean => options.only.includes(workload);
  // One temporary root for everything: the disk probe writes next to the systems' data, so both
  // meet the same filesystem, and one rm cleans up the data, the probe files and the client build.
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'tidelog-bench-'));
  const dirs = { disk: join(root, 'disk'), build: join(root, 'build') };
  for (const dir of Object.values(dirs)) mkdirSync(dir);
  const abort = (signal: NodeJS.Signals): void => {
    log(`${signal}: ending every server and client, removing ${root}`);
    killAllChildren();
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const latencySettings: LatencySettings = { rate: options.rate, seconds: options.e2eS, warmupS: Math.min(1, options.e2eS / 5) };
  const bounds = { durationS: options.durationS, maxBytes: options.maxMiB * MiB, warmupS: Math.min(2, options.durationS) };
  const result: Omit<BenchResult, 'machine' | 'totalSeconds'> = {
    date: new Date().toISOString(),
    command,
    options,
    systems: [],
    matrix: [],
    compare: [],
    latency: [],
    latencySettings,
    throughputWarmupS: bounds.warmupS,
  };
  let running: System | undefined;
  try {
    let client: RdkafkaPerf | undefined;
    if (want('matrix')) {
      // Built first, so a missing librdkafka-dev fails the run before minutes of measuring.
      log(`building the C client in ${dirs.build}`);
      client = RdkafkaPerf.build(dirs.build);
    }
    if (want('matrix') || want('compare')) {
      const disk = measureDisk(dirs.disk, { totalMiB: options.diskMiB, repeat: options.repeat, syncedProbeS: options.syncedProbeS }, log);
      const loopback = await measureLoopback({ totalMiB: options.loopbackMiB, repeat: options.repeat }, log);
      result.limits = { disk, loopback };
    }
    if (want('e2e')) {
      running = await startRelay();
      result.latencyFloor = await runLatency(running, latencySettings, log);
      await running.stop();
      running = undefined;
    }

    for (const candidate of candidates(options, root)) {
      const info: SystemInfo = { name: candidate.name, protocol: candidate.protocol, version: '', setup: '', local: false, residentBytes: NaN };
      result.systems.push(info);
      try {
        running = await candidate.start();
      } catch (error) {
        info.error = error instanceof Error ? error.message : String(error);
        log(`${candidate.name}: could not start: ${info.error}`);
        continue;
      }
      const system = running;
      Object.assign(info, { version: system.version, setup: system.setup, local: system.local });
      log(`${system.name} ${system.version} at ${system.address}`);
      if (want('matrix') && system.protocol === 'kafka') result.matrix.push(await runMatrix(system, client!, bounds, log));
      if (want('compare')) result.compare.push(await runCompare(system, bounds, log));
      if (want('e2e')) result.latency.push(await runLatency(system, latencySettings, log));
      info.residentBytes = system.residentBytes();
      if (system.local) log(`${system.name}: stopping`);
      const exit = await system.stop();
      running = undefined;
      if (exit) {
        info.exit = exit;
        if (exit.code !== 0) {
          info.error = `exited with ${exit.code ?? exit.signal} after its stop signal`;
          log(`${system.name} ${info.error}; its log ends with:\n${system.output()}`);
        }
      }
      if (candidate.dataDir) rmSync(candidate.dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
    return { ...result, machine: describeMachine(root, client?.librdkafkaVersion ?? 'not used'), totalSeconds: (nowMs() - started) / 1000 };
  } finally {
    if (running) {
      running.kill();
      await running.stop().catch(() => undefined);
    }
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

function writeDocs(result: BenchResult): void {
  const sections: [string, string | undefined][] = [
    ['bench throughput', matrixMarkdown(result)],
    ['bench compare', compareMarkdown(result)],
    ['bench latency', latencyMarkdown(result)],
  ];
  for (const [name, body] of sections) {
    if (body === undefined) continue;
    const how = writeMarkedSection(DOC, name, body, GENERATOR);
    log(`${how} the "${name}" section of ${DOC}`);
  }
}

/** Tidelog failing a workload or not stopping cleanly on its stop signal is a bug the benchmark must not hide; a peer's trouble is only reported. */
function tidelogFailed(result: BenchResult): boolean {
  const runs = [...result.matrix, ...result.compare, ...result.latency].filter((run) => run.system === 'Tidelog');
  return runs.some((run) => run.error !== undefined) || result.systems.some((s) => s.name === 'Tidelog' && s.error !== undefined);
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
  if (options.writeDocs) writeDocs(result);
  if (tidelogFailed(result)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
