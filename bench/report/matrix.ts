/**
 * The librdkafka throughput matrix: each figure beside the machine limit that bounds it and,
 * when --peer-kafka brokers were driven too, beside theirs. Produce is bounded by buffered disk
 * writes, a read by the loopback socket (a cold read too: the page cache was not dropped).
 */
import type { ConsumeResult, ProduceResult } from '../clients/rdkafka.js';
import { mbPerS } from '../stats.js';
import { PRODUCER_DESCRIPTION, type MatrixCell, type MatrixResult, type MatrixRun } from '../throughput.js';
import { contextLines, limitFigures, systemLines } from './context.js';
import { fmt, fmtInt, fmtRatio, markdownTable, percentOfCore, textTable, type Table } from './format.js';
import { limitsMarkdown } from './limits.js';
import type { BenchResult } from './result.js';

const shape = (cell: MatrixCell): string => `${cell.size.name}, ${cell.partitions} p, ${cell.compression}`;
const sameCell = (a: MatrixCell, b: MatrixCell): boolean =>
  a.size.bytes === b.size.bytes && a.partitions === b.partitions && a.acks === b.acks && a.compression === b.compression;

type Measure = { kind: 'produce'; acks: '1' | 'all' } | { kind: 'read'; temperature: 'warm' | 'cold' };

interface Figure {
  transfer: ProduceResult | ConsumeResult;
  serverCpuS: number;
  latency?: string;
}

function figureOf(run: MatrixRun, cell: MatrixCell, measure: Measure): Figure | undefined {
  if (measure.kind === 'produce') {
    const r = run.results.find((x) => sameCell(x.cell, { ...cell, acks: measure.acks }));
    if (!r) return undefined;
    return { transfer: r.produce, serverCpuS: r.serverCpuS, latency: `${fmt(r.produce.latency_us_p50 / 1000)} / ${fmt(r.produce.latency_us_p99 / 1000)}` };
  }
  const r = run.results.find((x) => sameCell(x.cell, cell));
  const read = r?.[measure.temperature];
  return read ? { transfer: read.consume, serverCpuS: read.serverCpuS } : undefined;
}

export function matrixTable(result: BenchResult): Table | undefined {
  const [tidelog, ...peers] = result.matrix;
  if (!tidelog) return undefined;
  const limits = limitFigures(result);
  const shapes = tidelog.results.filter((r) => r.cell.acks === '1').map((r) => r.cell);
  const measures: Measure[] = [
    { kind: 'produce', acks: '1' },
    { kind: 'produce', acks: 'all' },
    { kind: 'read', temperature: 'warm' },
    { kind: 'read', temperature: 'cold' },
  ];
  const rows: string[][] = [];
  for (const cell of shapes) {
    for (const measure of measures) {
      const own = figureOf(tidelog, cell, measure);
      if (!own) continue;
      const mb = mbPerS(own.transfer);
      const limit = measure.kind === 'produce' ? limits.diskMBps : limits.loopbackMBps;
      const label = measure.kind === 'produce' ? `produce ${shape(cell)}, acks=${measure.acks}` : `read ${measure.temperature} ${shape(cell)}`;
      const peerCells = peers.flatMap((peer) => {
        const theirs = figureOf(peer, cell, measure);
        const theirMb = theirs ? mbPerS(theirs.transfer) : NaN;
        return [fmt(theirMb), fmtRatio(mb / theirMb)];
      });
      rows.push([
        label,
        fmtInt(own.transfer.records / own.transfer.seconds),
        fmt(mb),
        `${measure.kind === 'produce' ? 'disk' : 'loopback'} ${fmt(limit)}`,
        fmtRatio(mb / limit),
        ...peerCells,
        percentOfCore(own.serverCpuS, own.transfer.seconds),
        percentOfCore(own.transfer.cpu_user_s + own.transfer.cpu_sys_s, own.transfer.seconds),
        own.latency ?? '–',
      ]);
    }
  }
  return {
    columns: [
      'workload',
      'records/s',
      'MB/s',
      'limit MB/s',
      '÷ limit',
      ...peers.flatMap((peer) => [`${peer.system} MB/s`, `Tidelog ÷ it`]),
      'broker CPU',
      'client CPU',
      'delivery p50 / p99 ms',
    ],
    rows,
    labelColumns: 1,
    bold: [2, 4, ...peers.map((_, i) => 6 + 2 * i)],
  };
}

function problems(result: BenchResult): string[] {
  return result.matrix.filter((run) => run.error).map((run) => `${run.system}: the matrix stopped early: ${run.error}`);
}

export function matrixText(result: BenchResult): string[] {
  const table = matrixTable(result);
  if (!table) return [];
  const restarts = result.matrix.filter((r) => r.restartSeconds !== undefined).map((r) => `${r.system} ${fmt(r.restartSeconds!, 2)} s`);
  return [
    'Throughput matrix (librdkafka C client)',
    ...textTable(table),
    ...(restarts.length ? [`restart before the cold reads: ${restarts.join(', ')}`] : []),
    ...problems(result),
  ];
}

function overhead(results: readonly MatrixResult[]): string {
  return results
    .filter((r) => Number.isFinite(r.logBytes) && r.cell.acks === '1')
    .map((r) => `${shape(r.cell)}: ×${fmt(r.logBytes / r.produce.bytes, 2)}`)
    .join('; ');
}

export function matrixMarkdown(result: BenchResult): string | undefined {
  const table = matrixTable(result);
  if (!table) return undefined;
  const o = result.options;
  const [tidelog] = result.matrix;
  const systems = result.systems.filter((s) => s.protocol === 'kafka');
  const out = ['## Throughput against the machine\'s limits', '', ...contextLines(result)];
  out.push(`- Client: librdkafka ${result.machine.librdkafka} ([bench/clients/rdkafka-perf.c](../bench/clients/rdkafka-perf.c), gcc -O2), one process per step.`);
  out.push(...systemLines(systems));
  out.push('', ...limitsMarkdown(result), '');
  out.push('### Tidelog' + (result.matrix.length > 1 ? ' and the Kafka brokers given with --peer-kafka' : ''));
  out.push('');
  out.push(
    `Each produce step writes a fresh topic for ${o.durationS} s or ${fmt(o.maxMiB, 0)} MiB of values, whichever comes first; producer: ${PRODUCER_DESCRIPTION}, ` +
      'random (incompressible) values, so lz4 shows what compressing costs, not what it saves. ' +
      'Reads assign() every partition from the beginning with no consumer group: warm right after the produce, ' +
      'cold after every produce is done and the broker was restarted (SIGTERM, then started again on the same data and port). ' +
      'The OS page cache is not dropped before the cold read: a new broker process opens the segments, but their bytes come from memory. ' +
      'acks does not change what is stored, so only the acks=1 topics are read. ' +
      `Before the first step each broker gets ${fmt(result.throughputWarmupS, 1)} s of produce and a read that are not reported, so the first cell does not pay for a cold start.`,
  );
  out.push('');
  out.push(...markdownTable(table));
  out.push('');
  const restarts = result.matrix.filter((r) => r.restartSeconds !== undefined).map((r) => `${r.system} ${fmt(r.restartSeconds!, 2)} s`);
  if (restarts.length) out.push(`Restart before the cold reads, SIGTERM to ready again: ${restarts.join(', ')}.`);
  if (tidelog) {
    const sizes = overhead(tidelog.results);
    if (sizes) out.push(`Tidelog's segment bytes per value byte — ${sizes}.`);
  }
  for (const problem of problems(result)) out.push(`**${problem}**`);
  out.push('');
  out.push('How to read it:');
  out.push('');
  out.push('- MB = 10^6 bytes of record values (a 1 KiB record is 1,024 bytes), not counting the framing the broker also stores and sends.');
  out.push('- ÷ limit: produce MB/s over buffered disk write MB/s, read MB/s over loopback TCP MB/s.');
  if (result.matrix.length > 1) out.push('- Tidelog ÷ it: Tidelog\'s MB/s over the other broker\'s, same client, same workload; above 1, Tidelog was faster.');
  out.push('- Delivery latency is librdkafka\'s, from produce() to the delivery report under full load: mostly time queued in the client.');
  out.push(`- When broker CPU + client CPU is near ${result.machine.cores * 100}%, the step was CPU-bound on this machine.`);
  out.push(`- Steps of ${o.durationS} s, one run each; on a shared virtual machine expect 10–20% between runs.`);
  out.push('- Every figure of the latest run, unrounded, is in dist/bench/last-run.json.');
  return out.join('\n');
}
