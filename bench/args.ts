/**
 * The benchmarks' command lines: walking the flags, with the same errors in every benchmark, and
 * the command printed back in the report as the user would type it again.
 */

export class FlagReader {
  private index = -1;

  constructor(
    private readonly argv: readonly string[],
    private readonly usage: string,
  ) {}

  /** The next flag; undefined at the end. */
  next(): string | undefined {
    this.index += 1;
    return this.argv[this.index];
  }

  /** The value after `flag`. */
  value(flag: string): string {
    this.index += 1;
    const value = this.argv[this.index];
    if (value === undefined) throw new Error(`${flag} needs a value\n${this.usage}`);
    return value;
  }

  positive(flag: string): number {
    const number = Number(this.value(flag));
    if (!(number > 0) || !Number.isFinite(number)) throw new Error(`${flag} must be a positive number`);
    return number;
  }

  positiveInteger(flag: string): number {
    const number = Number(this.value(flag));
    if (!Number.isInteger(number) || number <= 0) throw new Error(`${flag} needs a positive integer\n${this.usage}`);
    return number;
  }
}

/**
 * `npm run <script> -- <argv>` when started through npm, else `node <entry> <argv>`; arguments
 * quoted for a POSIX shell where they need it.
 */
export function commandLineOf(script: string, entry: string, argv: readonly string[]): string {
  const quoted = argv.map((a) => (/^[\w./:=@+,-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`));
  if (process.env.npm_lifecycle_event === script) return [`npm run ${script}`, ...(quoted.length ? ['--', ...quoted] : [])].join(' ');
  return [`node ${entry}`, ...quoted].join(' ');
}
