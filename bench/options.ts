/** The benchmark's command-line flags, and the command line to print in the report. */
import { commandLineOf, FlagReader } from './args.js';

export const WORKLOADS = ['matrix', 'compare', 'e2e'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const PEERS = ['nats', 'redis', 'rabbitmq'] as const;
export type PeerName = (typeof PEERS)[number];

export interface Options {
  /** Which workloads run: the librdkafka matrix, the Node-client comparison, end-to-end latency. */
  only: WorkloadName[];
  /** Peers to start here; undefined: every one that is installed. */
  peers: PeerName[] | undefined;
  /** Kafka-API brokers run by someone else, driven like Tidelog. */
  peerKafka: string[];
  /** Seconds each produce step of the matrix and the comparison runs at most. */
  durationS: number;
  /** MiB of record values each produce step writes at most: keeps the disk and the cold reads bounded. */
  maxMiB: number;
  /** Seconds of each end-to-end latency run, warm-up included. */
  e2eS: number;
  /** Records per second in the latency runs. */
  rate: number;
  /** Size of each buffered disk write measurement. */
  diskMiB: number;
  /** Seconds of the write + fdatasync probe. */
  syncedProbeS: number;
  /** Size of each loopback TCP transfer. */
  loopbackMiB: number;
  /** How many times each limit is measured; the median is the limit. */
  repeat: number;
  /** Parent directory of the run's temporary directory: the disk limit is measured on its filesystem, where every system's data also lives. */
  dir: string | undefined;
  writeDocs: boolean;
  quick: boolean;
}

const FULL = { durationS: 5, maxMiB: 1024, e2eS: 10, diskMiB: 1024, syncedProbeS: 3, loopbackMiB: 2048, repeat: 3 };
/** --quick: checks that everything works end to end in about a minute; the figures are rough. */
const QUICK = { durationS: 0.5, maxMiB: 64, e2eS: 1.5, diskMiB: 256, syncedProbeS: 0.5, loopbackMiB: 512, repeat: 1 };
const RATE = 10_000;

export const USAGE = `usage: npm run bench -- [options]
  --only LIST          workloads to run, comma-separated (default: all):
                         matrix   librdkafka C client against Tidelog (and --peer-kafka brokers):
                                  1 KiB / 100 B, 1 / 6 partitions, acks=1 / all, none / lz4,
                                  warm and cold reads, beside the machine's limits
                         compare  one Node client workload against Tidelog and every peer:
                                  1 KiB / 100 B, 1 / 6 partitions, warm and cold reads
                         e2e      end-to-end latency at a fixed rate against every system
                                  and against a relay that stores nothing (the floor)
  --peers LIST         peers to start here: nats, redis, rabbitmq, or none (default: those installed)
  --peer-kafka H:P     also drive the Kafka-API broker at H:P (repeatable); it is not restarted
  --quick              short run (${QUICK.durationS} s / ${QUICK.maxMiB} MiB produce steps, ${QUICK.e2eS} s latency runs, small limit probes)
  --duration-s S       seconds per produce step at most (default ${FULL.durationS})
  --max-mib N          MiB of values per produce step at most (default ${FULL.maxMiB})
  --e2e-s S            seconds per latency run, warm-up included (default ${FULL.e2eS})
  --rate N             records per second in the latency runs (default ${RATE})
  --disk-mib N         MiB per buffered disk write measurement (default ${FULL.diskMiB})
  --loopback-mib N     MiB per loopback TCP transfer (default ${FULL.loopbackMiB})
  --repeat N           measurements of each limit, median reported (default ${FULL.repeat})
  --dir PATH           where the temporary data directory goes (default: the OS temp dir)
  --no-docs            print only; leave docs/BENCHMARKS.md alone`;

function list<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`${flag}: unknown "${item}" (one of ${allowed.join(', ')})`);
  }
  return [...new Set(items)] as T[];
}

export function parseOptions(argv: readonly string[]): Options {
  const explicit: Partial<Options> = {};
  let quick = false;
  let writeDocs = true;
  const peerKafka: string[] = [];
  const args = new FlagReader(argv, USAGE);
  for (let flag = args.next(); flag !== undefined; flag = args.next()) {
    if (flag === '--quick') quick = true;
    else if (flag === '--only') explicit.only = list(flag, args.value(flag), WORKLOADS);
    else if (flag === '--peers') {
      const text = args.value(flag);
      explicit.peers = text === 'none' ? [] : list(flag, text, PEERS);
    } else if (flag === '--peer-kafka') {
      const address = args.value(flag);
      if (!/^[^\s:]+:\d+$/.test(address)) throw new Error(`--peer-kafka needs HOST:PORT, got ${address}`);
      peerKafka.push(address);
    } else if (flag === '--duration-s') explicit.durationS = args.positive(flag);
    else if (flag === '--max-mib') explicit.maxMiB = args.positive(flag);
    else if (flag === '--e2e-s') explicit.e2eS = args.positive(flag);
    else if (flag === '--rate') explicit.rate = Math.round(args.positive(flag));
    else if (flag === '--disk-mib') explicit.diskMiB = Math.round(args.positive(flag));
    else if (flag === '--loopback-mib') explicit.loopbackMiB = Math.round(args.positive(flag));
    else if (flag === '--repeat') explicit.repeat = Math.round(args.positive(flag));
    else if (flag === '--dir') explicit.dir = args.value(flag);
    else if (flag === '--no-docs') writeDocs = false;
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (explicit.only?.length === 0) throw new Error('--only needs at least one workload');
  // Explicit flags win over the preset whatever their order on the command line.
  return {
    ...(quick ? QUICK : FULL),
    only: [...WORKLOADS],
    peers: undefined,
    rate: RATE,
    dir: undefined,
    ...explicit,
    peerKafka,
    writeDocs,
    quick,
  };
}

/** The command as the user typed it, so the report says exactly how to reproduce it. */
export function commandLine(argv: readonly string[]): string {
  return commandLineOf('bench', 'dist/bench/run.js', argv);
}
