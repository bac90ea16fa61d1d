/** The benchmark's command-line flags, and the command line to print in the report. */

export interface Options {
  /** Seconds each produce workload runs, unless `count` is set. */
  durationS: number;
  /** Records each produce workload sends instead of running for `durationS`. */
  count: number | undefined;
  /** Size of each buffered disk write measurement. */
  diskMiB: number;
  /** Seconds of the write + fdatasync probe. */
  syncedProbeS: number;
  /** Size of each loopback TCP transfer. */
  loopbackMiB: number;
  /** How many times each limit is measured; the median is the limit. */
  repeat: number;
  /** Parent directory of the run's temporary directory: the disk limit is measured on its filesystem, where the broker's data also lives. */
  dir: string | undefined;
  writeDocs: boolean;
  quick: boolean;
}

const FULL = { durationS: 10, diskMiB: 1024, syncedProbeS: 3, loopbackMiB: 2048, repeat: 3 };
/** --quick: checks that everything works end to end in well under a minute; the figures are rough. */
const QUICK = { durationS: 3, diskMiB: 256, syncedProbeS: 1, loopbackMiB: 512, repeat: 1 };

export const USAGE = `usage: npm run bench -- [options]
  --quick            short run (3 s workloads, 256 MiB disk, 512 MiB loopback, no repeats)
  --duration-s S     seconds per produce workload (default ${FULL.durationS})
  --count N          records per produce workload instead of a duration
  --disk-mib N       MiB per buffered disk write measurement (default ${FULL.diskMiB})
  --loopback-mib N   MiB per loopback TCP transfer (default ${FULL.loopbackMiB})
  --repeat N         measurements of each limit, median reported (default ${FULL.repeat})
  --dir PATH         where the temporary data directory goes (default: the OS temp dir)
  --no-docs          print only; leave docs/BENCHMARKS.md alone`;

export function parseOptions(argv: readonly string[]): Options {
  const explicit: Partial<Options> = {};
  let quick = false;
  let writeDocs = true;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const positive = (): number => {
      const n = Number(value());
      if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${flag} must be a positive number`);
      return n;
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--duration-s') explicit.durationS = positive();
    else if (flag === '--count') explicit.count = Math.round(positive());
    else if (flag === '--disk-mib') explicit.diskMiB = Math.round(positive());
    else if (flag === '--loopback-mib') explicit.loopbackMiB = Math.round(positive());
    else if (flag === '--repeat') explicit.repeat = Math.round(positive());
    else if (flag === '--dir') explicit.dir = value();
    else if (flag === '--no-docs') writeDocs = false;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  // Explicit flags win over the preset whatever their order on the command line.
  return { ...(quick ? QUICK : FULL), count: undefined, dir: undefined, ...explicit, writeDocs, quick };
}

/** The command as the user typed it, so the report says exactly how to reproduce it. */
export function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((a) => (/^[\w./:=@+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
  if (process.env.npm_lifecycle_event === 'bench') return ['npm run bench', ...(quoted.length ? ['--', ...quoted] : [])].join(' ');
  return ['node dist/bench/run.js', ...quoted].join(' ');
}
