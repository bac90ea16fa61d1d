/**
 * What one run produced, and how it is shown: a plain-text summary on stdout and the markdown
 * section of docs/BENCHMARKS.md. Every Tidelog figure is printed beside the machine limit it is
 * bounded by, measured in the same run, and the ratio between them; ratios travel between
 * machines better than absolute figures.
 */
import type { BrokerExit } from './broker.js';
import type { DiskLimits } from './limits/disk.js';
import type { Machine } from './machine.js';
import type { Options } from './options.js';
import { MiB, mbPerS, median, type Transfer } from './stats.js';
import { PARTITIONS, PRODUCER_DESCRIPTION, type WorkloadResult } from './throughput.js';

export interface BenchResult {
  date: string;
  command: string;
  options: Options;
  machine: Machine;
  disk: DiskLimits;
  loopback: Transfer[];
  workloads: WorkloadResult[];
  brokerSettings: Record<string, string>;
  brokerResidentBytes: number;
  brokerExit: BrokerExit;
  totalSeconds: number;
}

interface Limits {
  diskMBps: number;
  diskFdatasyncMBps: number;
  loopbackMBps: number;
}

function limitsOf(result: BenchResult): Limits {
  return {
    diskMBps: median(result.disk.buffered.map(mbPerS)),
    diskFdatasyncMBps: mbPerS(result.disk.bufferedThenFdatasync),
    loopbackMBps: median(result.loopback.map(mbPerS)),
  };
}

function fmt(value: number, digits = 1): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const fmtInt = (value: number): string => fmt(value, 0);
const percentOfCore = (cpuS: number, seconds: number): string => `${fmt((cpuS / seconds) * 100, 0)}%`;
const all = (transfers: Transfer[]): string => transfers.map((t) => fmt(mbPerS(t), 0)).join(', ');

interface Row {
  workload: string;
  records: string;
  recordsPerS: string;
  mbPerS: string;
  limit: string;
  ratio: string;
  latencyMs: string;
  brokerCpu: string;
  clientCpu: string;
}

/** Produce is bounded by buffered disk writes (the broker does not fsync by default); consume of a warm log by the loopback socket. */
function rows(result: BenchResult): Row[] {
  const limits = limitsOf(result);
  return result.workloads.flatMap(({ workload, produce, produceBrokerCpuS, consume, consumeBrokerCpuS }) => {
    const produceMBps = mbPerS(produce);
    const consumeMBps = mbPerS(consume);
    return [
      {
        workload: `produce ${workload.name}`,
        records: fmtInt(produce.records),
        recordsPerS: fmtInt(produce.records / produce.seconds),
        mbPerS: fmt(produceMBps),
        limit: `disk write ${fmt(limits.diskMBps)}`,
        ratio: fmt(produceMBps / limits.diskMBps, 2),
        latencyMs: `${fmt(produce.latency_us_p50 / 1000)} / ${fmt(produce.latency_us_p99 / 1000)}`,
        brokerCpu: percentOfCore(produceBrokerCpuS, produce.seconds),
        clientCpu: percentOfCore(produce.cpu_user_s + produce.cpu_sys_s, produce.seconds),
      },
      {
        workload: `consume ${workload.name}`,
        records: fmtInt(consume.records),
        recordsPerS: fmtInt(consume.records / consume.seconds),
        mbPerS: fmt(consumeMBps),
        limit: `loopback TCP ${fmt(limits.loopbackMBps)}`,
        ratio: fmt(consumeMBps / limits.loopbackMBps, 2),
        latencyMs: '–',
        brokerCpu: percentOfCore(consumeBrokerCpuS, consume.seconds),
        clientCpu: percentOfCore(consume.cpu_user_s + consume.cpu_sys_s, consume.seconds),
      },
    ];
  });
}

const COLUMNS: [keyof Row, string][] = [
  ['workload', 'workload'],
  ['records', 'records'],
  ['recordsPerS', 'records/s'],
  ['mbPerS', 'MB/s'],
  ['limit', 'limit (MB/s)'],
  ['ratio', 'ratio'],
  ['latencyMs', 'delivery p50 / p99 (ms)'],
  ['brokerCpu', 'broker CPU'],
  ['clientCpu', 'client CPU'],
];

export function textSummary(result: BenchResult): string {
  const m = result.machine;
  const d = result.disk;
  const limits = limitsOf(result);
  const lines = [
    `machine: ${m.cores} cores, ${m.kernel}, node ${m.node}, librdkafka ${m.librdkafka}; data on ${m.filesystem}`,
    `disk buffered write        ${fmt(limits.diskMBps).padStart(9)} MB/s  (median of ${all(d.buffered)})`,
    `disk write + fdatasync     ${fmt(limits.diskFdatasyncMBps).padStart(9)} MB/s  (dirty-page limit ${d.writebackLimit})`,
    `disk 64 KiB + fdatasync    ${fmt(mbPerS(d.synced)).padStart(9)} MB/s  (fdatasync p50 ${fmt(d.synced.fdatasyncP50Ms, 2)} ms, p99 ${fmt(d.synced.fdatasyncP99Ms, 2)} ms)`,
    `loopback TCP node -> node  ${fmt(limits.loopbackMBps).padStart(9)} MB/s  (median of ${all(result.loopback)})`,
    '',
  ];
  const table = rows(result).map((row) => COLUMNS.map(([key]) => row[key]));
  const widths = COLUMNS.map(([, title], i) => Math.max(title.length, ...table.map((cells) => cells[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  lines.push(line(COLUMNS.map(([, title]) => title)));
  for (const cells of table) lines.push(line(cells));
  lines.push('');
  lines.push(
    `broker RSS at the end ${fmt(result.brokerResidentBytes / MiB, 0)} MiB; SIGTERM -> exit ${result.brokerExit.code ?? result.brokerExit.signal} ` +
      `in ${fmt(result.brokerExit.seconds, 2)} s; whole run ${fmt(result.totalSeconds, 0)} s`,
  );
  return `${lines.join('\n')}\n`;
}

/** The broker's command-line settings; the data directory is a temporary one, different each run. */
function brokerFlags(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([key, value]) => `--set ${key}=${key === 'log.dirs' ? '<tmp>/data' : value}`)
    .join(' ');
}

export function markdownSection(result: BenchResult): string {
  const m = result.machine;
  const d = result.disk;
  const o = result.options;
  const limits = limitsOf(result);
  const bound = o.count !== undefined ? `${fmtInt(o.count)} records` : `${o.durationS} s`;
  const out: string[] = [];
  out.push('## Throughput against the machine\'s limits');
  out.push('');
  out.push(`- Command: \`${result.command}\`${o.quick ? ' (a short run: rough figures, for checking that the benchmark works)' : ''}`);
  out.push(`- Date: ${result.date}; Tidelog commit ${m.commit}`);
  out.push(`- Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryBytes / 1024 / MiB)} GiB memory, ${m.kernel}; data directory on ${m.filesystem}`);
  out.push(`- Node ${m.node}; client librdkafka ${m.librdkafka} ([bench/clients/rdkafka-perf.c](../bench/clients/rdkafka-perf.c), gcc -O2)`);
  out.push(`- Broker, client and limit probes share the same ${m.cores} cores; the CPU columns say how much broker and client each used (100% = one core).`);
  out.push('');
  out.push('### Limits of the machine');
  out.push('');
  out.push('| limit | MB/s | how |');
  out.push('|---|---:|---|');
  out.push(`| disk, buffered sequential write | **${fmt(limits.diskMBps)}** | ${o.diskMiB} MiB in 1 MiB write(2)s to the data directory's filesystem, no sync; median of ${all(d.buffered)} |`);
  out.push(`| disk, the same then fdatasync | ${fmt(limits.diskFdatasyncMBps)} | one fdatasync at the end, inside the timing |`);
  out.push(
    `| disk, 64 KiB write + fdatasync | ${fmt(mbPerS(d.synced))} | ${fmtInt(d.synced.writes)} pairs in ${fmt(d.synced.seconds)} s; fdatasync p50 ${fmt(d.synced.fdatasyncP50Ms, 2)} ms, p99 ${fmt(d.synced.fdatasyncP99Ms, 2)} ms |`,
  );
  out.push(`| loopback TCP | **${fmt(limits.loopbackMBps)}** | ${o.loopbackMiB} MiB in 1 MiB writes, one Node process to another over 127.0.0.1; median of ${all(result.loopback)} |`);
  out.push('');
  out.push('### Tidelog');
  out.push('');
  out.push(
    `Broker: one node, \`node dist/src/cli/main.js broker ${brokerFlags(result.brokerSettings)}\`, ` +
      'defaults otherwise (a produce is answered once its bytes are handed to the OS; no fsync). ' +
      `One topic of ${PARTITIONS} partitions per record size, created with CreateTopics. ` +
      `Producer: ${PRODUCER_DESCRIPTION}; unthrottled for ${bound}, then waits for every delivery report. ` +
      'Consumer: assign() of every partition from the beginning (no group membership) right after the produce, so the log is in the page cache; it stops at the last record produced.',
  );
  out.push('');
  out.push(`| ${COLUMNS.map(([, title]) => title).join(' | ')} |`);
  out.push(`|---|${COLUMNS.slice(1).map(() => '---:').join('|')}|`);
  for (const row of rows(result)) {
    out.push(`| ${COLUMNS.map(([key]) => (key === 'mbPerS' || key === 'ratio' ? `**${row[key]}**` : row[key])).join(' | ')} |`);
  }
  out.push('');
  const overhead = result.workloads.map(
    (w) => `${w.workload.name}: ${fmt(w.logBytes / MiB, 0)} MiB of segments for ${fmt(w.produce.bytes / MiB, 0)} MiB of values (×${fmt(w.logBytes / w.produce.bytes, 2)})`,
  );
  out.push(`Log size versus record values — ${overhead.join('; ')}.`);
  out.push(
    `Broker resident memory at the end: ${fmt(result.brokerResidentBytes / MiB, 0)} MiB. SIGTERM to exit: ${fmt(result.brokerExit.seconds, 2)} s, ` +
      `exit code ${result.brokerExit.code ?? result.brokerExit.signal}. Whole run: ${fmt(result.totalSeconds, 0)} s.`,
  );
  out.push('');
  out.push('How to read it:');
  out.push('');
  out.push('- MB = 10^6 bytes. Workload throughput counts record values only (a 1 KiB record is 1,024 bytes), not the');
  out.push('  batch and record framing the broker also stores and sends (the log-size line above shows how much that is).');
  out.push('- Produce ratio = produce MB/s ÷ buffered disk write MB/s: the broker appends each batch with a plain write(2)');
  out.push('  and does not fsync by default, so the speed at which the filesystem takes buffered writes is its ceiling.');
  out.push(`  A buffered write smaller than the kernel's dirty-page limit (here ${d.writebackLimit}) runs at page-cache`);
  out.push('  speed; a broker producing past that limit for long is held to what the device sustains (the fdatasync rows).');
  out.push('- Consume ratio = consume MB/s ÷ loopback TCP MB/s: a warm log is read from the page cache, so moving the bytes');
  out.push('  over the loopback socket is the ceiling.');
  out.push('- Delivery latency is librdkafka\'s, from produce() to the delivery report under full load: mostly time queued');
  out.push('  in the client, not the broker\'s service time.');
  out.push(`- When broker CPU + client CPU is near ${m.cores * 100}%, the run was CPU-bound on this machine, and the figure is a`);
  out.push('  lower bound for a broker with the machine to itself.');
  out.push('- One run per figure; on a shared virtual machine expect 10–20% between runs.');
  return out.join('\n');
}
