/** The plain-text summary printed on stdout at the end of a run: every table, no explanations. */
import { compareText } from './compare.js';
import { fmt } from './format.js';
import { latencyText } from './latency.js';
import { limitsText } from './limits.js';
import { matrixText } from './matrix.js';
import type { BenchResult } from './result.js';

export function textSummary(result: BenchResult): string {
  const m = result.machine;
  const sections = [limitsText(result), matrixText(result), compareText(result), latencyText(result)].filter((lines) => lines.length > 0);
  const systems = result.systems.map((s) => {
    const memory = Number.isFinite(s.residentBytes) ? `, RSS at the end ${fmt(s.residentBytes / 2 ** 20, 0)} MiB` : '';
    const exit = s.exit ? `, stop signal -> exit ${s.exit.code ?? s.exit.signal} in ${fmt(s.exit.seconds, 2)} s` : '';
    return `${s.name} ${s.version}${memory}${exit}${s.error ? `; FAILED: ${s.error.split('\n')[0]}` : ''}`;
  });
  const lines = [
    `machine: ${m.cores} cores, ${m.kernel}, node ${m.node}, librdkafka ${m.librdkafka}; data on ${m.filesystem}`,
    ...systems,
    '',
    ...sections.flatMap((lines) => [...lines, '']),
    `whole run ${fmt(result.totalSeconds, 0)} s`,
  ];
  return `${lines.join('\n')}\n`;
}
