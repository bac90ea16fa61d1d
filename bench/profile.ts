/**
 * The profiling run (issue 6): `npm run bench:profile [-- options]` (compiles, then runs
 * dist/bench/profile.js; `--help` lists the options).
 *
 * One broker child process, watched from the inside by bench/profile/monitor.ts, goes through
 * the workloads whose targets matter, one phase each:
 *   1. produce 1 KiB records to 6 partitions, acks=1, librdkafka (bench/clients/rdkafka-perf.c);
 *   2. read them back at once (warm: the log is in the page cache), librdkafka;
 *   3. produce 100 B records to 6 partitions, acks=1, librdkafka;
 *   4. end to end at 10,000 records/s, 1 KiB, acks=1, `tidelog perf e2e`.
 * For each it records the broker's CPU profile (where its time goes, by kind of code and by
 * function), event loop delay and utilisation, garbage collections and memory, then rewrites the
 * `bench profile` section of docs/PROFILING.md. The .cpuprofile files are kept in the run's
 * directory (printed at the end) for Chrome DevTools or speedscope. Nothing asserts on timings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commandLineOf, FlagReader } from './args.js';
import { BROKER_ENV, BROKER_NODE_OPTIONS, shownBrokerCommand } from './broker.js';
import { killAllChildren } from './children.js';
import { describeMachine } from './machine.js';
import { writeMarkedSection } from './markdown-section.js';
import { freePort, processCpuSeconds } from './proc.js';
import { RdkafkaPerf } from './clients/rdkafka.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { nowMs } from './stats.js';
import { summarizeCpuProfile, type ProfileSummary } from './profile/cpu-profile.js';
import type { PhaseStats } from './profile/monitor.js';
import { fmt, fmtInt, markdownTable, textTable, type Table } from './report/format.js';

const DOC = resolve(import.meta.dirname, '../../docs/PROFILING.md');
const CLI = resolve(import.meta.dirname, '../src/cli/main.js');
const MONITOR = resolve(import.meta.dirname, 'profile/monitor.js');
const GENERATOR = '`npm run bench:profile` (bench/profile.ts)';

const USAGE = `usage: npm run bench:profile -- [options]
  --duration-s S   seconds of each produce phase and of the end-to-end phase (default 8)
  --quick          2 s phases: checks that the run works, rough figures
  --keep           keep the run's directory (the .cpuprofile files) instead of deleting it
  --no-doc         print only; leave docs/PROFILING.md alone
`;

interface Options {
  durationS: number;
  quick: boolean;
  keep: boolean;
  writeDoc: boolean;
  command: string;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { durationS: 8, quick: false, keep: false, writeDoc: true, command: commandLineOf('bench:profile', 'dist/bench/profile.js', argv) };
  const args = new FlagReader(argv, USAGE);
  for (let arg = args.next(); arg !== undefined; arg = args.next()) {
    if (arg === '--duration-s') options.durationS = args.positive(arg);
    else if (arg === '--quick') {
      options.quick = true;
      options.durationS = 2;
    } else if (arg === '--keep') options.keep = true;
    else if (arg === '--no-doc') options.writeDoc = false;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

function log(message: string): void {
  process.stderr.write(`[bench:profile] ${message}\n`);
}

interface Phase {
  name: string;
  /** What the load generator reported, in a few words. */
  outcome: string;
  brokerCpuPercent: number;
  stats: PhaseStats;
  profile: ProfileSummary;
}

/** Ends the monitor's current phase and waits for its files. */
async function endPhase(broker: ServerProcess, dir: string, index: number): Promise<{ stats: PhaseStats; profile: ProfileSummary }> {
  process.kill(broker.pid, 'SIGUSR2');
  const base = join(dir, `phase-${index}`);
  const deadline = nowMs() + 60_000;
  while (!existsSync(`${base}.done`)) {
    if (nowMs() > deadline) throw new Error(`the broker did not write ${base}.json:\n${broker.output()}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  return { stats: JSON.parse(readFileSync(`${base}.json`, 'utf8')) as PhaseStats, profile: summarizeCpuProfile(`${base}.cpuprofile`) };
}

interface E2eReport {
  latencyMs?: { p50: number; p99: number; p999: number; max: number };
}

function runE2e(bootstrap: string, durationS: number, jsonPath: string): string {
  execFileSync(
    process.execPath,
    [CLI, 'perf', 'e2e', '--bootstrap-server', bootstrap, '--topic', 'profile-e2e', '--partitions', '1', '--record-size', '1024',
      '--throughput', '10000', '--duration', String(durationS), '--acks', '1', '--linger-ms', '0', '--json', jsonPath],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TIDELOG_LOG_LEVEL: 'warn' } },
  );
  const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as E2eReport;
  const latency = report.latencyMs;
  if (latency === undefined) return 'tidelog perf e2e wrote no latency';
  return `10,000 records/s; send → receive p50 ${fmt(latency.p50, 2)} ms, p99 ${fmt(latency.p99, 2)} ms, p99.9 ${fmt(latency.p999, 2)} ms, max ${fmt(latency.max, 1)} ms`;
}

async function run(options: Options, dir: string): Promise<{ phases: Phase[]; wholeS: number; librdkafka: string }> {
  const started = nowMs();
  const client = RdkafkaPerf.build(join(dir, 'build'));
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const broker = await startServerProcess(
    'tidelog broker',
    process.execPath,
    [...BROKER_NODE_OPTIONS, '--import', MONITOR, CLI, 'broker', '--set', `listeners=PLAINTEXT://${bootstrap}`, '--set', `log.dirs=${join(dir, 'data')}`],
    /started in/,
    { env: { ...process.env, ...BROKER_ENV, TIDELOG_LOG_LEVEL: 'info', TIDELOG_PROFILE_DIR: dir } },
  );
  const phases: Phase[] = [];
  let index = 0;
  try {
    await client.createTopic(bootstrap, 'profile-1k', 6);
    await client.createTopic(bootstrap, 'profile-100b', 6);
    await endPhase(broker, dir, index++); // start-up and topic creation: not reported
    const measure = async (name: string, load: () => Promise<string>): Promise<void> => {
      log(name);
      const cpuBefore = processCpuSeconds(broker.pid);
      const outcome = await load();
      const { stats, profile } = await endPhase(broker, dir, index++);
      const brokerCpuPercent = ((processCpuSeconds(broker.pid) - cpuBefore) / stats.seconds) * 100;
      phases.push({ name, outcome, brokerCpuPercent, stats, profile });
    };
    let produced = 0;
    const common = { acks: '1' as const, compression: 'none' as const, lingerMs: 5, batchBytes: 1_000_000, durationS: options.durationS };
    await measure('produce 1 KiB, 6 partitions, acks=1 (librdkafka)', async () => {
      const result = await client.produce(bootstrap, { topic: 'profile-1k', size: 1024, ...common });
      produced = result.records - result.failed;
      return `${fmtInt(produced / result.seconds)} records/s, ${fmt(result.bytes / result.seconds / 1e6)} MB/s of values`;
    });
    await measure('read warm 1 KiB, 6 partitions (librdkafka)', async () => {
      const result = await client.consume(bootstrap, 'profile-1k', produced);
      return `${fmtInt(result.records / result.seconds)} records/s, ${fmt(result.bytes / result.seconds / 1e6)} MB/s of values`;
    });
    await measure('produce 100 B, 6 partitions, acks=1 (librdkafka)', async () => {
      const result = await client.produce(bootstrap, { topic: 'profile-100b', size: 100, ...common });
      return `${fmtInt((result.records - result.failed) / result.seconds)} records/s, ${fmt(result.bytes / result.seconds / 1e6)} MB/s of values`;
    });
    await measure('end to end 1 KiB at 10,000 records/s, acks=1 (tidelog perf e2e)', async () => runE2e(bootstrap, options.durationS, join(dir, 'e2e.json')));
  } finally {
    await broker.stop();
  }
  return { phases, wholeS: (nowMs() - started) / 1000, librdkafka: client.librdkafkaVersion };
}

const pct = (part: number, whole: number): string => `${fmt((part / whole) * 100, 1)}%`;

function phaseTable(phases: readonly Phase[]): Table {
  return {
    columns: ['phase', 'load generator saw', 'broker CPU', 'loop busy', 'loop delay p50 / p99 / max ms', 'GC pauses: count, total ms (share of wall)', 'longest GC ms', 'RSS MiB'],
    labelColumns: 2,
    bold: [2, 4],
    rows: phases.map((p) => {
      const gc = Object.values(p.stats.gc);
      const count = gc.reduce((sum, g) => sum + g.count, 0);
      const total = gc.reduce((sum, g) => sum + g.totalMs, 0);
      const longest = Math.max(0, ...gc.map((g) => g.maxMs));
      const kinds = Object.entries(p.stats.gc).map(([kind, g]) => `${g.count} ${kind}`).join(', ');
      const delay = p.stats.eventLoopDelayMs;
      return [
        p.name,
        p.outcome,
        `${fmt(p.brokerCpuPercent, 0)}%`,
        `${fmt(p.stats.eventLoopUtilization * 100, 0)}%`,
        `${fmt(delay.p50, 2)} / ${fmt(delay.p99, 2)} / ${fmt(delay.max, 1)}`,
        `${fmtInt(count)}${kinds ? ` (${kinds})` : ''}, ${fmt(total, 0)} (${pct(total, p.stats.seconds * 1000)})`,
        fmt(longest, 1),
        fmt(p.stats.rssBytes / 1024 / 1024, 0),
      ];
    }),
  };
}

/** Where the busy time went: categories, then the functions, as shares of the non-idle samples. */
function breakdown(phase: Phase, functions: number): { categories: Table; top: Table } {
  const busyMs = phase.profile.categories.filter((c) => !c.category.startsWith('idle')).reduce((sum, c) => sum + c.selfMs, 0);
  const idle = phase.profile.categories.find((c) => c.category.startsWith('idle'))?.selfMs ?? 0;
  return {
    categories: {
      columns: ['kind of code', 'ms', 'share of busy time'],
      labelColumns: 1,
      rows: [
        ...phase.profile.categories.filter((c) => !c.category.startsWith('idle')).map((c) => [c.category, fmtInt(c.selfMs), pct(c.selfMs, busyMs)]),
        [`(idle: ${pct(idle, phase.profile.wallMs)} of the profiled ${fmt(phase.profile.wallMs / 1000, 1)} s)`, fmtInt(idle), '–'],
      ],
    },
    top: {
      columns: ['function (self time)', 'kind', 'ms', 'share of busy time'],
      labelColumns: 2,
      rows: phase.profile.functions.slice(0, functions).map((f) => [`\`${f.label}\``, f.category, fmtInt(f.selfMs), pct(f.selfMs, busyMs)]),
    },
  };
}

function report(options: Options, result: { phases: Phase[]; wholeS: number; librdkafka: string }, dir: string): string[] {
  const m = describeMachine(dir, result.librdkafka);
  const lines = [
    '## Where the broker spends its time',
    '',
    `- Command: \`${options.command}\`${options.quick ? ' (a short run: rough figures, for checking that the run works)' : ''}`,
    `- Date: ${new Date().toISOString()}; Tidelog commit ${m.commit}; whole run ${fmtInt(result.wholeS)} s`,
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryBytes / 1024 ** 3)} GiB memory, ${m.kernel}, Node ${m.node}; data directory on ${m.filesystem}`,
    `- Broker: \`${shownBrokerCommand('--set listeners=PLAINTEXT://127.0.0.1:<port> --set log.dirs=<tmp>/data', ['--import', 'dist/bench/profile/monitor.js'])}\`, defaults otherwise; clients: librdkafka ${result.librdkafka} (bench/clients/rdkafka-perf.c: linger.ms=5, batch.size=1000000, random values, no key) and \`tidelog perf e2e\` (linger.ms=0), one process each, on the same ${m.cores} cores.`,
    `- Each phase runs ${fmt(options.durationS, 0)} s of load (the warm read: until every record produced in phase 1 is read); the monitor (bench/profile/monitor.ts) samples the CPU every 0.5 ms and watches the event loop at 1 ms resolution.`,
    '',
    ...markdownTable(phaseTable(result.phases)),
    '',
    'Broker CPU: its process\'s user + system time over the phase (100% = one core), from /proc; it includes the threads that do file I/O. Loop busy: the event loop\'s own utilisation (time in callbacks rather than waiting). Loop delay: how late a 1 ms timer fires, the wait any request arriving at that moment adds.',
  ];
  for (const phase of result.phases) {
    const { categories, top } = breakdown(phase, 12);
    lines.push('', `### ${phase.name}`, '', ...markdownTable(categories), '', ...markdownTable(top));
  }
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'tidelog-profile-'));
  process.once('SIGINT', () => {
    killAllChildren();
    process.exit(130);
  });
  try {
    const result = await run(options, dir);
    for (const phase of result.phases) {
      process.stdout.write(`\n${phase.name}: ${phase.outcome}\n`);
      const { categories, top } = breakdown(phase, 12);
      process.stdout.write(`${textTable(categories).join('\n')}\n\n${textTable(top).join('\n')}\n`);
    }
    process.stdout.write(`\n${textTable(phaseTable(result.phases)).join('\n')}\n`);
    if (options.writeDoc) {
      writeMarkedSection(DOC, 'bench profile', report(options, result, dir).join('\n'), GENERATOR);
      log(`wrote ${DOC}`);
    }
    if (options.keep) log(`profiles kept in ${dir} (phase-N.cpuprofile: open in Chrome DevTools or speedscope)`);
  } finally {
    killAllChildren();
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
