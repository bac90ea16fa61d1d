/** Flags of `npm run bench:compaction`, and the command line to print in the report. */
import { commandLineOf, FlagReader } from '../args.js';

export interface CompactionOptions {
  /** MiB of record values written to the compacted partition before the cleaner is let loose. */
  fillMiB: number;
  /** Distinct keys the fill and the probe draw from: how much of the log the cleaner keeps. */
  keys: number;
  /** Share of fill records that are tombstones (null value), so the delete-horizon path works too. */
  tombstones: number;
  /** Value size of every record, fill and probe. */
  recordBytes: number;
  segmentMiB: number;
  /** Probe records per second, to each of the two topics. */
  rate: number;
  /** Probe seconds discarded at the start (connections, JIT, the probe's first segments). */
  warmupS: number;
  /** Probe seconds with the cleaner idle, the baseline the cleaning window is compared with. */
  baselineS: number;
  /** Longest wait for the cleaning to end before the run gives up. */
  cleanTimeoutS: number;
  /** Parent of the temporary data directory (default: the OS temp dir). */
  dir: string | undefined;
  writeDocs: boolean;
  quick: boolean;
}

const FULL = { fillMiB: 2048, warmupS: 5, baselineS: 30, cleanTimeoutS: 1800 };
/** --quick: proves the script works end to end in well under a minute; the figures are rough. */
const QUICK = { fillMiB: 200, warmupS: 2, baselineS: 8, cleanTimeoutS: 300 };
const COMMON = { keys: 50_000, tombstones: 0.01, recordBytes: 1024, segmentMiB: 16, rate: 1000 };

export const USAGE = `usage: npm run bench:compaction -- [options]
  --quick               short run: ${QUICK.fillMiB} MiB fill, ${QUICK.baselineS} s baseline (default ${FULL.fillMiB} MiB, ${FULL.baselineS} s)
  --fill-mib N          MiB of values written to the compacted partition first (default ${FULL.fillMiB})
  --keys N              distinct keys of the fill and the probe (default ${COMMON.keys})
  --tombstones F        share of fill records that are tombstones, 0..1 (default ${COMMON.tombstones})
  --record-bytes N      value size of every record (default ${COMMON.recordBytes})
  --segment-mib N       segment.bytes of the compacted topic, in MiB (default ${COMMON.segmentMiB})
  --rate N              probe records per second to each topic, one record per request (default ${COMMON.rate})
  --warmup-s S          probe seconds not counted at the start (default ${FULL.warmupS})
  --baseline-s S        probe seconds with the cleaner idle (default ${FULL.baselineS})
  --clean-timeout-s S   give up when the cleaning has not ended after S seconds (default ${FULL.cleanTimeoutS})
  --dir PATH            where the temporary data directory goes (default: the OS temp dir)
  --no-docs             print only; leave docs/BENCHMARKS.md alone`;

export function parseCompactionOptions(argv: readonly string[]): CompactionOptions {
  const explicit: Partial<CompactionOptions> = {};
  let quick = false;
  let writeDocs = true;
  const args = new FlagReader(argv, USAGE);
  for (let flag = args.next(); flag !== undefined; flag = args.next()) {
    if (flag === '--quick') quick = true;
    else if (flag === '--fill-mib') explicit.fillMiB = args.positive(flag);
    else if (flag === '--keys') explicit.keys = Math.round(args.positive(flag));
    else if (flag === '--tombstones') {
      const share = Number(args.value(flag));
      if (!(share >= 0 && share < 1)) throw new Error('--tombstones must be at least 0 and below 1');
      explicit.tombstones = share;
    } else if (flag === '--record-bytes') explicit.recordBytes = Math.round(args.positive(flag));
    else if (flag === '--segment-mib') explicit.segmentMiB = args.positive(flag);
    else if (flag === '--rate') explicit.rate = Math.round(args.positive(flag));
    else if (flag === '--warmup-s') explicit.warmupS = args.positive(flag);
    else if (flag === '--baseline-s') explicit.baselineS = args.positive(flag);
    else if (flag === '--clean-timeout-s') explicit.cleanTimeoutS = args.positive(flag);
    else if (flag === '--dir') explicit.dir = args.value(flag);
    else if (flag === '--no-docs') writeDocs = false;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  // Explicit flags win over the preset whatever their order on the command line.
  return { ...COMMON, ...(quick ? QUICK : FULL), dir: undefined, ...explicit, writeDocs, quick };
}

/** The command as the user typed it, so the report says exactly how to reproduce it. */
export function compactionCommandLine(argv: readonly string[]): string {
  return commandLineOf('bench:compaction', 'dist/bench/compaction-latency.js', argv);
}
