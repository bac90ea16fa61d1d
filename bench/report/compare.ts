/**
 * Throughput beside the peers: one Node-client workload against every system, each figure
 * beside the best peer's and beside the machine limit that bounds it.
 */
import { APPEND, COMPARE_CELLS, type CompareCell, type CompareRun } from '../compare.js';
import { mbPerS } from '../stats.js';
import { contextLines, limitFigures, nodeClientLine, systemLines } from './context.js';
import { fmt, fmtRatio, markdownTable, percentOfCore, textTable, type Table } from './format.js';
import type { BenchResult } from './result.js';
import { peerWordings, protocolsOf, wordingOf } from './wording.js';

type Measure = 'append' | 'warm' | 'cold';

interface Figure {
  mbPerS: number;
  serverCpu: string;
  clientCpu: string;
}

function figureOf(run: CompareRun, cell: CompareCell, measure: Measure): Figure | undefined {
  const r = run.results.find((x) => x.cell.size.bytes === cell.size.bytes && x.cell.partitions === cell.partitions);
  if (!r) return undefined;
  if (measure === 'append') {
    const p = r.produce;
    return { mbPerS: mbPerS(p), serverCpu: percentOfCore(r.produceServerCpuS, p.seconds), clientCpu: percentOfCore(p.cpuS, p.seconds) };
  }
  const read = r[measure];
  if (!read) return undefined;
  const o = read.outcome;
  return { mbPerS: mbPerS(o), serverCpu: percentOfCore(read.serverCpuS, o.seconds), clientCpu: percentOfCore(o.cpuS, o.seconds) };
}

/** Ratio to the fastest peer, with its name, or n/a when no peer has the figure. */
export function versusBest(own: number, peers: readonly { name: string; value: number }[], higherIsBetter: boolean): string {
  const known = peers.filter((p) => Number.isFinite(p.value));
  if (!Number.isFinite(own) || known.length === 0) return 'n/a';
  const best = known.reduce((a, b) => (higherIsBetter ? (b.value > a.value ? b : a) : b.value < a.value ? b : a));
  return `${fmtRatio(own / best.value)} (${best.name})`;
}

export function compareTable(result: BenchResult): Table | undefined {
  const runs = result.compare;
  const tidelog = runs.find((r) => r.system === 'Tidelog');
  if (!tidelog) return undefined;
  const peers = runs.filter((r) => r !== tidelog);
  const limits = limitFigures(result);
  const rows: string[][] = [];
  for (const measure of ['append', 'warm', 'cold'] as const) {
    for (const cell of COMPARE_CELLS) {
      const figures = runs.map((run) => figureOf(run, cell, measure));
      if (figures.every((f) => !f)) continue;
      const own = figureOf(tidelog, cell, measure)?.mbPerS ?? NaN;
      const limit = measure === 'append' ? limits.diskMBps : limits.loopbackMBps;
      const label = `${measure === 'append' ? 'append' : `read ${measure}`} ${cell.size.name}, ${cell.partitions} p`;
      rows.push([
        label,
        ...figures.map((f) => fmt(f?.mbPerS ?? NaN)),
        versusBest(own, peers.map((run) => ({ name: run.system, value: figureOf(run, cell, measure)?.mbPerS ?? NaN })), true),
        `${measure === 'append' ? 'disk' : 'loopback'} ${fmt(limit)}`,
        fmtRatio(own / limit),
        figures.map((f) => f?.serverCpu ?? 'n/a').join(' / '),
        figures.map((f) => f?.clientCpu ?? 'n/a').join(' / '),
      ]);
    }
  }
  const names = runs.map((r) => r.system).join(' / ');
  return {
    columns: ['workload', ...runs.map((r) => `${r.system} MB/s`), 'Tidelog ÷ best peer', 'limit MB/s', 'Tidelog ÷ limit', `server CPU (${names})`, `client CPU (${names})`],
    rows,
    labelColumns: 1,
    bold: [1, runs.length + 1],
  };
}

function restarts(result: BenchResult): string[] {
  return result.compare.filter((r) => r.restartSeconds !== undefined).map((r) => `${r.system} ${fmt(r.restartSeconds!, 2)} s`);
}

function problems(result: BenchResult): string[] {
  return result.compare.filter((run) => run.error).map((run) => `${run.system}: the comparison stopped early: ${run.error}`);
}

export function compareText(result: BenchResult): string[] {
  const table = compareTable(result);
  if (!table) return [];
  const r = restarts(result);
  return [
    'Throughput beside the peers (Node clients)',
    ...textTable(table),
    ...(r.length ? [`restart before the cold reads, stop signal to ready: ${r.join(', ')}`] : []),
    ...problems(result),
  ];
}

export function compareMarkdown(result: BenchResult): string | undefined {
  const table = compareTable(result);
  if (!table) return undefined;
  const o = result.options;
  const names = new Set(result.compare.map((r) => r.system));
  const systems = result.systems.filter((s) => names.has(s.name));
  const protocols = protocolsOf(systems);
  const peers = peerWordings(protocols);
  const equivalents = peers.map((p) => p.ack);
  const readAhead = peers.flatMap((p) => p.readAhead ?? []);
  const out = ['## Throughput beside the peers', '', ...contextLines(result)];
  out.push(`- ${nodeClientLine(result, protocols)}`);
  out.push(...systemLines(systems));
  out.push('');
  out.push(
    `The same workload for every system: each append() carries ${APPEND.batchBytes / 1024} KiB of random values to one partition ` +
      `(round-robin over the partitions) and ${APPEND.window} of them await acknowledgement at once ` +
      `(acks=1${equivalents.length ? ` or its equivalent: ${equivalents.join(', ')}` : ''}), ` +
      `for ${o.durationS} s or ${fmt(o.maxMiB, 0)} MiB of values, whichever comes first, into a fresh log ` +
      `(${protocols.map((p) => wordingOf(p).log).join('; ')}). ` +
      'Reads start at the beginning of every partition with no consumer group, about 1 MiB per partition per request' +
      `${readAhead.length ? ` (${readAhead.join('; ')})` : ''}: ` +
      'warm right after the append, cold after every append is done and the server was restarted on the same data. ' +
      `The OS page cache is not dropped before the cold read${peers.flatMap((p) => (p.coldRead ? [`; ${p.coldRead}`] : [])).join('')}. ` +
      `Before the first step each system gets ${fmt(result.throughputWarmupS, 1)} s of appends and a read that are not reported.`,
  );
  out.push('');
  out.push(...markdownTable(table));
  out.push('');
  const r = restarts(result);
  if (r.length) out.push(`Restart before the cold reads, stop signal to ready: ${r.join(', ')}.`);
  for (const problem of problems(result)) out.push(`**${problem}**`);
  const l = limitFigures(result);
  out.push('');
  out.push('How to read it:');
  out.push('');
  out.push('- MB = 10^6 bytes of record values. Tidelog ÷ best peer above 1: Tidelog moved more; the peer named is the fastest one for that row.');
  out.push(`- Limits measured in the same run: buffered disk write ${fmt(l.diskMBps)} MB/s bounds appends, loopback TCP ${fmt(l.loopbackMBps)} MB/s bounds reads (see the throughput section for how).`);
  out.push('- One Node client process per step: where its CPU is near 100%, the client, not the server, set the pace, and the librdkafka figures in the throughput section show what Tidelog does with a faster client.');
  if (peers.length > 0) {
    out.push(
      '- acks=all and lz4 have no counterpart here: each peer is a single server, which acknowledges only as itself, and none of their clients here compresses. ' +
        'The throughput section covers them for Kafka-API brokers.',
    );
    out.push(`- Durability is not the same: Tidelog answers once the bytes are handed to the OS, ${peers.map((p) => p.durability).join(', ')}.`);
  }
  return out.join('\n');
}
