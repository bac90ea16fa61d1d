/**
 * Every child process the benchmark starts (broker, C client, loopback sender), so that an
 * interrupted run can end them: a signal sent to the benchmark's pid alone (not to its process
 * group, as a terminal's Ctrl-C does) would otherwise leave a client producing into the void.
 */
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}
