/**
 * End-to-end latency: percentiles for every system at the same fixed rate, with Tidelog's
 * beside the best peer's and beside the relay's (the floor), as ratios.
 */
import type { LatencyResult, LatencyRun } from '../latency.js';
import { SIZES, type RecordSize } from '../sizes.js';
import { versusBest } from './compare.js';
import { contextLines, nodeClientLine, systemLines } from './context.js';
import { fmt, fmtInt, fmtMs, fmtRatio, markdownTable, percentOfCore, textTable, type Table } from './format.js';
import type { BenchResult } from './result.js';
import { protocolsOf, wordingOf } from './wording.js';

const PERCENTILES = [
  ['p50', 'p50Ms'],
  ['p99', 'p99Ms'],
  ['p99.9', 'p999Ms'],
  ['max', 'maxMs'],
] as const;

const resultOf = (run: LatencyRun | undefined, size: RecordSize): LatencyResult | undefined => run?.results.find((r) => r.size.bytes === size.bytes);

export function latencyTable(result: BenchResult): Table | undefined {
  const runs = [...(result.latencyFloor ? [result.latencyFloor] : []), ...result.latency];
  if (result.latency.length === 0) return undefined;
  const tidelog = result.latency.find((r) => r.system === 'Tidelog');
  const peers = result.latency.filter((r) => r !== tidelog);
  const rows: string[][] = [];
  for (const size of SIZES) {
    for (const run of runs) {
      const r = resultOf(run, size);
      const name = run === result.latencyFloor ? 'relay (floor)' : run.system;
      if (!r) {
        rows.push([size.name, name, ...PERCENTILES.map(() => 'n/a'), 'n/a', 'n/a', 'n/a', 'n/a']);
        continue;
      }
      rows.push([
        size.name,
        name,
        ...PERCENTILES.map(([, key]) => fmtMs(r.read[key])),
        fmtMs(r.read.meanMs),
        fmtInt(r.read.records),
        percentOfCore(r.serverCpuS, r.write.seconds),
        fmtMs(r.write.maxLagMs),
      ]);
    }
    const own = resultOf(tidelog, size);
    if (!own) continue;
    rows.push([
      size.name,
      'Tidelog ÷ best peer',
      ...PERCENTILES.map(([, key]) =>
        versusBest(own.read[key], peers.map((run) => ({ name: run.system, value: resultOf(run, size)?.read[key] ?? NaN })), false),
      ),
      '', '', '', '',
    ]);
    const floor = resultOf(result.latencyFloor, size);
    if (floor) rows.push([size.name, 'Tidelog ÷ floor', ...PERCENTILES.map(([, key]) => fmtRatio(own.read[key] / floor.read[key])), '', '', '', '']);
  }
  return {
    columns: ['size', 'system', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'mean ms', 'records counted', 'server CPU', 'producer max lag ms'],
    rows,
    labelColumns: 2,
  };
}

function problems(result: BenchResult): string[] {
  const runs = [...(result.latencyFloor ? [result.latencyFloor] : []), ...result.latency];
  return runs.filter((run) => run.error).map((run) => `${run.system}: the latency runs stopped early: ${run.error}`);
}

export function latencyText(result: BenchResult): string[] {
  const table = latencyTable(result);
  if (!table) return [];
  const s = result.latencySettings;
  return [`End-to-end latency at ${fmtInt(s.rate)} records/s (Node clients)`, ...textTable(table), ...problems(result)];
}

export function latencyMarkdown(result: BenchResult): string | undefined {
  const table = latencyTable(result);
  if (!table) return undefined;
  const s = result.latencySettings;
  const names = new Set(result.latency.map((r) => r.system));
  const systems = result.systems.filter((x) => names.has(x.name));
  const protocols = protocolsOf(systems);
  const wordings = protocols.map(wordingOf);
  const out = [`## End-to-end latency at ${fmtInt(s.rate)} records/s`, '', ...contextLines(result)];
  out.push(`- ${nodeClientLine(result, protocols)}`);
  out.push(...systemLines(systems));
  out.push('');
  out.push(
    `For each system and record size: a reader process waits on a fresh one-partition log (${wordings.map((w) => `${w.name}: ${w.reader}`).join('; ')}); ` +
      'then a producer process appends stamped records (sequence number and CLOCK_MONOTONIC send time, shared by every process) ' +
      `at ${fmtInt(s.rate)} records/s for ${fmt(s.seconds, 1)} s, acks=1 or its equivalent, without waiting for one acknowledgement before the next send. ` +
      `It wakes about once a millisecond and sends what is due as one append (${wordings.map((w) => w.append).join(', ')}). ` +
      `Latency is receive time minus send time for every record after the first ${fmt(s.warmupS, 1)} s (warm-up). ` +
      'The relay (bench/limits/relay-process.ts) is a process that stores nothing and passes the producer\'s bytes to the reader: the same clients\' pacing and two loopback hops, the floor no broker goes below here.',
  );
  out.push('');
  out.push(...markdownTable(table));
  out.push('');
  for (const problem of problems(result)) out.push(`**${problem}**`);
  out.push('How to read it:');
  out.push('');
  out.push('- Ratios below 1 are better for Tidelog: "÷ best peer" divides by the lowest peer figure for that percentile (the peer is named), "÷ floor" by the relay\'s.');
  out.push('- Producer max lag: how far behind its schedule the producer fell; when it is large, the client or the machine, not the system, held records back, and the stamps (taken at send time) do not show that wait.');
  out.push(`- p99.9 and max rest on few records (${fmtInt(Math.round(s.rate * (s.seconds - s.warmupS)))} counted per run): one stall of the shared machine moves them.`);
  return out.join('\n');
}
