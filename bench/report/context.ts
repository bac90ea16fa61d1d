/**
 * What every section of docs/BENCHMARKS.md starts with: the exact command, when and on what it
 * ran, and the limits measured in the same run. Each section stands alone, since each is
 * rewritten only by a run that includes its workload.
 */
import { MiB, mbPerS, median } from '../stats.js';
import { fmt } from './format.js';
import type { BenchResult, SystemInfo } from './result.js';
import { wordingOf, type DrivenProtocol } from './wording.js';

export interface LimitFigures {
  diskMBps: number;
  diskFdatasyncMBps: number;
  loopbackMBps: number;
}

export function limitFigures(result: BenchResult): LimitFigures {
  if (!result.limits) return { diskMBps: NaN, diskFdatasyncMBps: NaN, loopbackMBps: NaN };
  return {
    diskMBps: median(result.limits.disk.buffered.map(mbPerS)),
    diskFdatasyncMBps: mbPerS(result.limits.disk.bufferedThenFdatasync),
    loopbackMBps: median(result.limits.loopback.map(mbPerS)),
  };
}

export function contextLines(result: BenchResult): string[] {
  const m = result.machine;
  return [
    `- Command: \`${result.command}\`${result.options.quick ? ' (a short run: rough figures, for checking that the benchmark works)' : ''}`,
    `- Date: ${result.date}; Tidelog commit ${m.commit}; whole run ${fmt(result.totalSeconds, 0)} s`,
    `- Machine: ${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryBytes / 1024 / MiB)} GiB memory, ${m.kernel}; data directories on ${m.filesystem}`,
    `- Every server and client shares these ${m.cores} cores; CPU columns say how much each used (100% = one core).`,
  ];
}

/** One line per system: what it is and how it was started. */
export function systemLines(systems: readonly SystemInfo[]): string[] {
  return systems.map((s) => {
    const failed = s.error ? ` **Failed: ${s.error.split('\n')[0]}**` : '';
    return s.setup ? `- ${s.name} ${s.version}: ${s.setup}.${failed}` : `- ${s.name}:${failed}`;
  });
}

/** The client that drove each kind of system in the Node-client workloads. */
export function nodeClientLine(result: BenchResult, protocols: readonly DrivenProtocol[]): string {
  const clients = protocols.map((p) => `${wordingOf(p).client} ${result.machine.nodeClients[p]}`);
  return `Clients, all on Node ${result.machine.node} in a process of their own: ${[...clients, 'the relay through node:net'].join(', ')}.`;
}
