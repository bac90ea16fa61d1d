/**
 * Command-line parsing shared by the tidelog commands: `--name value`, `--name=value`,
 * repeatable options (`--set a=b --set c=d`) and boolean flags.
 */
export interface ParsedArguments {
  readonly positional: string[];
  readonly options: Map<string, string[]>;
  readonly flags: Set<string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArguments(argv: readonly string[], flagNames: readonly string[] = []): ParsedArguments {
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(2, equals) : arg.slice(2);
    if (flagNames.includes(name) && equals < 0) {
      flags.add(name);
      continue;
    }
    const value = equals > 0 ? arg.slice(equals + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    options.set(name, [...(options.get(name) ?? []), value]);
  }
  return { positional, options, flags };
}

/** `--set key=value` pairs as a record; the value may itself contain '='. */
export function keyValuePairs(values: readonly string[] | undefined, option: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of values ?? []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--${option} expects key=value, got '${pair}'`);
    result[pair.slice(0, equals).trim()] = pair.slice(equals + 1);
  }
  return result;
}
