/** Everything one run produced: what bench/last-run.json holds and what the report sections are made from. */
import type { CompareRun } from '../compare.js';
import type { LatencyRun, LatencySettings } from '../latency.js';
import type { DiskLimits } from '../limits/disk.js';
import type { Machine } from '../machine.js';
import type { Options } from '../options.js';
import type { ServerExit } from '../server-process.js';
import type { Transfer } from '../stats.js';
import type { Protocol } from '../system.js';
import type { MatrixRun } from '../throughput.js';

export interface SystemInfo {
  name: string;
  protocol: Protocol;
  version: string;
  setup: string;
  local: boolean;
  /** Resident memory just before it was stopped. */
  residentBytes: number;
  exit?: ServerExit;
  /** Why it could not be started or stopped cleanly. */
  error?: string;
}

export interface BenchResult {
  date: string;
  command: string;
  options: Options;
  machine: Machine;
  /** Measured when a throughput workload runs. */
  limits?: { disk: DiskLimits; loopback: Transfer[] };
  /** Tidelog first, then --peer-kafka brokers, then the peers started here. */
  systems: SystemInfo[];
  matrix: MatrixRun[];
  compare: CompareRun[];
  latency: LatencyRun[];
  /** The relay's latency: the floor. */
  latencyFloor?: LatencyRun;
  latencySettings: LatencySettings;
  /** Seconds of the unreported produce before each system's first throughput step. */
  throughputWarmupS: number;
  totalSeconds: number;
}
