/** The compaction benchmark's result, as a plain-text summary and as its docs/BENCHMARKS.md section. */
import type { Machine } from '../machine.js';
import { fmt, fmtInt, fmtMs, markdownTable, textTable, type Table } from '../report/format.js';
import { MB, MiB } from '../stats.js';
import type { CleaningRound } from './cleaner-log.js';
import type { CompactionOptions } from './options.js';
import type { FillResult, WindowStats } from './produce.js';

export interface WindowRow {
  window: 'cleaner idle' | 'cleaner running';
  topic: string;
  compacted: boolean;
  stats: WindowStats;
}

export interface CompactionResult {
  command: string;
  date: string;
  machine: Machine;
  options: CompactionOptions;
  /** How the broker was started, from the system under test. */
  brokerSetup: string;
  compactedTopic: string;
  plainTopic: string;
  topicConfigs: Record<string, string>;
  fill: FillResult;
  /** The compacted partition on disk when the cleaner was let loose, and after its first round. */
  before: { logBytes: number; segments: number };
  after: { logBytes: number; segments: number };
  round: CleaningRound;
  rows: WindowRow[];
  brokerExit: { code: number | null; seconds: number };
  totalSeconds: number;
}

function windowTable(result: CompactionResult): Table {
  return {
    columns: ['window', 'topic', 'requests', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'longest gap ms', 'errors'],
    labelColumns: 2,
    bold: [6, 7],
    rows: result.rows.map((row) => [
      row.window,
      `${row.topic} (${row.compacted ? 'compacted' : 'not compacted'})`,
      fmtInt(row.stats.requests),
      fmtMs(row.stats.p50Ms),
      fmtMs(row.stats.p99Ms),
      fmtMs(row.stats.p999Ms),
      fmtMs(row.stats.maxMs),
      fmtMs(row.stats.longestGapMs),
      fmtInt(row.stats.errors),
    ]),
  };
}

/** From the first line to the summary line: the wall time the cleaner held the log, not only its busy time. */
function cleanerLine(result: CompactionResult): string {
  const r = result.round;
  const wallS = (r.endedAt - r.beganAt) / 1000;
  return (
    `Cleaner, first round (offsets ${fmtInt(r.fromOffset)}–${fmtInt(r.toOffset)}): read ${fmt(r.bytesRead / MiB)} MiB ` +
    `(${fmtInt(r.messagesRead)} records) in ${fmt(wallS)} s = ${fmt(r.bytesRead / MB / wallS)} MB/s ` +
    `(the cleaner's own count: ${fmt(r.cleanerSeconds)} s), wrote ${fmt(r.bytesWritten / MiB)} MiB (${fmtInt(r.messagesWritten)} records); ` +
    `partition on disk ${fmt(result.before.logBytes / MiB)} MiB in ${result.before.segments} segments before, ` +
    `${fmt(result.after.logBytes / MiB)} MiB in ${result.after.segments} after.`
  );
}

function stallLine(result: CompactionResult): string {
  const worst = (window: WindowRow['window']): WindowRow =>
    result.rows.filter((row) => row.window === window).reduce((a, b) => (b.stats.longestGapMs > a.stats.longestGapMs ? b : a));
  const running = worst('cleaner running');
  const idle = worst('cleaner idle');
  return (
    `Longest time without a produce answer while the cleaner ran: ${fmtMs(running.stats.longestGapMs)} ms (on ${running.topic}); ` +
    `with the cleaner idle: ${fmtMs(idle.stats.longestGapMs)} ms (on ${idle.topic}). ` +
    `Worst probe send lag (the probe's own lateness, counted in the latencies): ${fmtMs(Math.max(...result.rows.map((row) => row.stats.maxSendLagMs)))} ms.`
  );
}

export function compactionText(result: CompactionResult): string {
  return [...textTable(windowTable(result)), '', cleanerLine(result), stallLine(result), ''].join('\n');
}

export function compactionMarkdown(result: CompactionResult): string {
  const o = result.options;
  const m = result.machine;
  const f = result.fill;
  const configs = Object.entries(result.topicConfigs)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  return [
    '## Produce latency while the log cleaner runs',
    '',
    `- Command: \`${result.command}\`${o.quick ? ' (a short run: rough figures, for checking that the benchmark works)' : ''}`,
    `- Date: ${result.date}; Tidelog commit ${m.commit}; whole run ${fmt(result.totalSeconds, 0)} s`,
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryBytes / 1024 / MiB)} GiB memory, ${m.kernel}; data directory on ${m.filesystem}; Node ${m.node}`,
    `- Broker: ${result.brokerSetup}. SIGTERM to exit: ${fmt(result.brokerExit.seconds, 2)} s, exit code ${result.brokerExit.code ?? 'none'}.`,
    `- Compacted topic \`${result.compactedTopic}\`, 1 partition: ${configs}. ` +
      `Filled first with ${fmtInt(f.records)} records (${fmt(f.bytes / MiB)} MiB of keys and values, ${fmtInt(f.tombstones)} of them tombstones) ` +
      `over ${fmtInt(o.keys)} keys in ${fmt(f.seconds)} s, 512 KiB batches, while min.cleanable.dirty.ratio=1 kept the cleaner away; ` +
      'then IncrementalAlterConfigs set it to 0.01, which let the cleaner at the whole log.',
    `- Probe: ${fmtInt(o.rate)} records/s to the compacted partition and ${fmtInt(o.rate)}/s to \`${result.plainTopic}\` ` +
      `(1 partition, cleanup.policy=delete), one ${fmtInt(o.recordBytes)}-byte record per Produce request, acks=1, one connection per topic, ` +
      `from Tidelog's own client in the benchmark process. It ran from before the baseline to the end of the cleaning; ` +
      `the first ${fmt(o.warmupS)} s are not counted, then ${fmt(o.baselineS)} s with the cleaner idle, then the cleaner's first round.`,
    '',
    ...markdownTable(windowTable(result)),
    '',
    cleanerLine(result),
    '',
    stallLine(result),
    '',
    'How to read it:',
    '',
    '- Latency is from the moment a request was due (the probe sends on a fixed schedule and never waits for earlier',
    '  answers) to its answer, so a stalled broker shows in full. "Longest gap" is the longest time without any answer on',
    "  that topic's connection while the window was open: at 1,000 requests/s it is about 1 ms when nothing stalls.",
    '- "Cleaner running" is bounded by the cleaner\'s own log lines ("beginning cleaning of log …" to its summary line), so it',
    '  covers building the offset map (reading the whole dirty section) as well as rewriting the segments and swapping them in.',
    '- The cleaner shares the broker process and its event loop with request handling; these figures are what a producer',
    '  sees while it works through the log. MB = 10^6 bytes; MiB = 2^20.',
    `- Broker, probe and cleaner share the same ${m.cores} cores; one run per figure.`,
  ].join('\n');
}
