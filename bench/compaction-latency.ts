/**
 * `npm run bench:compaction`: produce latency while the log cleaner works through a large
 * compacted partition, beside the same measurement with the cleaner idle, in one run.
 *
 * 1. A broker starts on a temporary data directory with a short cleaner backoff, so the cleaner
 *    notices a log as soon as it becomes cleanable.
 * 2. A compacted topic is created with min.cleanable.dirty.ratio=1, which no log can exceed,
 *    and filled with many updates over a bounded key set: the cleaner stays away meanwhile, so
 *    the whole fill is left for one big round instead of being cleaned piecemeal as it arrives.
 * 3. A fixed-rate probe starts producing to that partition and to a non-compacted topic; after a
 *    warm-up its requests form the "cleaner idle" baseline.
 * 4. IncrementalAlterConfigs lowers the ratio; the cleaner's next pass takes the log. The probe
 *    runs on until the cleaner's summary line; the cleaner's own start and summary lines bound
 *    the "cleaner running" window.
 *
 * The figures are reported, never asserted: what counts as a stall depends on the machine.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '../src/client/admin.js';
import { startTidelog } from './broker.js';
import { killAllChildren } from './children.js';
import { CleanerLogWatch } from './compaction/cleaner-log.js';
import { compactionCommandLine, parseCompactionOptions, USAGE, type CompactionOptions } from './compaction/options.js';
import { connectTo, fill, ProduceProbe, type Target } from './compaction/produce.js';
import { compactionMarkdown, compactionText, type CompactionResult, type WindowRow } from './compaction/report.js';
import { describeMachine } from './machine.js';
import { writeMarkedSection } from './markdown-section.js';
import { MiB, nowMs } from './stats.js';
import type { System } from './system.js';

const DOC = resolve(import.meta.dirname, '../../docs/BENCHMARKS.md');
const SECTION = 'bench compaction';
const GENERATOR = '`npm run bench:compaction` (bench/compaction-latency.ts)';

const COMPACTED = 'tl-compacted';
const PLAIN = 'tl-plain';
/** Short enough that the cleaner's next pass starts right after the ratio is lowered. */
const CLEANER_BACKOFF_MS = 100;
/** The broker's log is read this often; its kept tail must not scroll past a cleaner line in between. */
const POLL_MS = 100;
const PROGRESS_EVERY_MS = 5_000;

function log(message: string): void {
  process.stderr.write(`[bench:compaction] ${message}\n`);
}

/** performance.now() on the wall clock, comparable with the broker's log timestamps. */
const epochNow = (): number => performance.timeOrigin + performance.now();

function compactedConfigs(options: CompactionOptions): Record<string, string> {
  return {
    'cleanup.policy': 'compact',
    'segment.bytes': String(Math.round(options.segmentMiB * MiB)),
    // The ratio is compared with ">", and no log's dirty share exceeds 1: held off until lowered.
    'min.cleanable.dirty.ratio': '1',
    'min.compaction.lag.ms': '0',
    // Small, so that tombstones met by a later round may go; the first round only stamps them.
    'delete.retention.ms': '1000',
  };
}

async function waitForLeaders(admin: Admin, topics: readonly string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const described = await admin.describeTopics(topics).catch(() => []);
    if (described.length === topics.length && described.every((topic) => topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0))) return;
    if (Date.now() > deadline) throw new Error(`no leader for ${topics.join(', ')} after 30 s`);
    await sleep(100);
  }
}

function partitionOnDisk(system: System, dataDir: string, topic: string): { logBytes: number; segments: number } {
  const segments = readdirSync(join(dataDir, `${topic}-0`)).filter((file) => file.endsWith('.log')).length;
  return { logBytes: system.logBytes(topic), segments };
}

async function run(options: CompactionOptions, command: string): Promise<{ result: CompactionResult; brokerFailed: boolean }> {
  const started = nowMs();
  const date = new Date().toISOString();
  const root = mkdtempSync(join(options.dir ?? tmpdir(), 'tidelog-bench-compaction-'));
  const dataDir = join(root, 'data');
  const abort = (signal: NodeJS.Signals): void => {
    log(`${signal}: ending the broker, removing ${root}`);
    killAllChildren();
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);

  let system: System | undefined;
  let admin: Admin | undefined;
  let probe: ProduceProbe | undefined;
  try {
    system = await startTidelog(dataDir, { 'log.cleaner.backoff.ms': String(CLEANER_BACKOFF_MS) });
    const broker = system;
    log(`broker up at ${broker.address}, data in ${dataDir}`);
    admin = await Admin.connect({ bootstrapServers: broker.address, clientId: 'tidelog-bench-compaction' });
    const topicConfigs = compactedConfigs(options);
    const created = await admin.createTopics([
      { name: COMPACTED, numPartitions: 1, replicationFactor: 1, configs: topicConfigs },
      { name: PLAIN, numPartitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'delete' } },
    ]);
    for (const topic of created) if (topic.error) throw topic.error;
    await waitForLeaders(admin, [COMPACTED, PLAIN]);

    const compacted: Target = { topic: COMPACTED, partition: 0 };
    const watch = new CleanerLogWatch(() => broker.output(), `${COMPACTED}-0`, epochNow());
    log(`filling ${COMPACTED}-0 with ${fmtMiB(options.fillMiB * MiB)} of values over ${options.keys} keys`);
    const filler = await connectTo(broker.address);
    let reported = 0;
    const fillResult = await fill(
      filler,
      compacted,
      { valueBytes: options.fillMiB * MiB, keys: options.keys, tombstones: options.tombstones, recordBytes: options.recordBytes },
      (bytes) => {
        if (bytes - reported < (options.fillMiB * MiB) / 10) return;
        reported = bytes;
        log(`  ${fmtMiB(bytes)} written`);
      },
    ).finally(() => filler.destroy());
    log(`filled: ${fillResult.records} records in ${fillResult.seconds.toFixed(1)} s (${(fillResult.bytes / MiB / fillResult.seconds).toFixed(0)} MiB/s)`);

    probe = await ProduceProbe.start(broker.address, [compacted, { topic: PLAIN, partition: 0 }], options.rate, options.keys, options.recordBytes);
    log(`probe: ${options.rate} records/s to each topic; ${options.warmupS} s warm-up, then ${options.baselineS} s with the cleaner idle`);
    await sleep(options.warmupS * 1000);
    const baselineFrom = epochNow();
    await sleep(options.baselineS * 1000);
    const baselineTo = epochNow();
    watch.poll();
    if (watch.began !== undefined) throw new Error('the cleaner started before it was let loose: the baseline is not idle');

    const before = partitionOnDisk(broker, dataDir, COMPACTED);
    log(`${COMPACTED}-0: ${fmtMiB(before.logBytes)} in ${before.segments} segments; lowering min.cleanable.dirty.ratio to 0.01`);
    const [altered] = await admin.incrementalAlterConfigs([
      { type: 'topic', name: COMPACTED, operations: [{ name: 'min.cleanable.dirty.ratio', operation: 'set', value: '0.01' }] },
    ]);
    if (altered?.error) throw altered.error;

    const triggered = nowMs();
    let lastProgress = triggered;
    for (;;) {
      watch.poll();
      if (watch.finished) break;
      const now = nowMs();
      if (now - triggered > options.cleanTimeoutS * 1000) throw new Error(`the cleaner did not finish within ${options.cleanTimeoutS} s`);
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        const state = watch.began === undefined ? 'not started yet' : `running for ${((epochNow() - watch.began) / 1000).toFixed(0)} s`;
        const sent = probe.counts().map((c) => `${c.sent} sent, ${c.errors} failed`).join(' / ');
        log(`  cleaner ${state}; probe ${sent}`);
      }
      await sleep(POLL_MS);
    }
    const round = watch.finished;
    await probe.stop();
    const after = partitionOnDisk(broker, dataDir, COMPACTED);
    log(`cleaned: ${fmtMiB(round.bytesRead)} read, ${fmtMiB(round.bytesWritten)} written in ${((round.endedAt - round.beganAt) / 1000).toFixed(1)} s`);
    if (probe.firstError()) log(`probe errors, the first: ${probe.firstError()}`);

    const rows: WindowRow[] = [];
    for (const [window, from, to] of [
      ['cleaner idle', baselineFrom, baselineTo],
      ['cleaner running', round.beganAt, round.endedAt],
    ] as const) {
      // Target i of the probe: the compacted partition first, then the plain one.
      [COMPACTED, PLAIN].forEach((topic, i) => rows.push({ window, topic, compacted: topic === COMPACTED, stats: probe!.window(i, from, to) }));
    }

    await admin.close();
    admin = undefined;
    log('stopping the broker (SIGTERM)');
    const exit = (await broker.stop())!;
    const machine = describeMachine(dataDir, 'not used');
    const result: CompactionResult = {
      command,
      date,
      machine,
      options,
      brokerSetup: broker.setup,
      compactedTopic: COMPACTED,
      plainTopic: PLAIN,
      topicConfigs: { ...topicConfigs, 'min.cleanable.dirty.ratio': '1, then 0.01' },
      fill: fillResult,
      before,
      after,
      round,
      rows,
      brokerExit: { code: exit.code, seconds: exit.seconds },
      totalSeconds: (nowMs() - started) / 1000,
    };
    return { result, brokerFailed: exit.code !== 0 };
  } catch (error) {
    if (system) log(`broker output, last lines:\n${system.output().split('\n').slice(-30).join('\n')}`);
    throw error;
  } finally {
    await probe?.stop().catch(() => undefined);
    await admin?.close().catch(() => undefined);
    system?.kill();
    rmSync(root, { recursive: true, force: true, maxRetries: 5 });
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
  }
}

function fmtMiB(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseCompactionOptions(argv);
  const { result, brokerFailed } = await run(options, compactionCommandLine(argv));
  process.stdout.write(`\n${compactionText(result)}`);
  if (options.writeDocs) log(`${writeMarkedSection(DOC, SECTION, compactionMarkdown(result), GENERATOR)} the "${SECTION}" section of ${DOC}`);
  // A broker that does not stop cleanly on SIGTERM is a bug the benchmark must not hide.
  if (brokerFailed) {
    log(`the broker exited with ${result.brokerExit.code} on SIGTERM`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:compaction] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
