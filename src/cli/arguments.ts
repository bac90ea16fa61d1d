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

/** The value of --name; given more than once, the last one counts. */
export function lastOption(args: ParsedArguments, name: string): string | undefined {
  return args.options.get(name)?.at(-1);
}

/** The value of --name as a safe integer ('+3' and ' 7 ' too); anything else is a usage error. */
export function parseInteger(name: string, text: string): number {
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--${name} expects an integer, got '${text}'`);
  return Number(text);
}

export function integerOption(args: ParsedArguments, name: string): number | undefined {
  const value = lastOption(args, name);
  return value === undefined ? undefined : parseInteger(name, value);
}

/**
 * Fails on an option that `command` does not take, before parseArguments (which takes any).
 * The word after an option in `valued` given without '=' is its value and is not checked; a
 * word that is not an option is a usage error at once with `rejectPositional`, and left to the
 * caller otherwise.
 */
export function checkOptionNames(argv: readonly string[], valued: Iterable<string>, flags: readonly string[], command: string, rejectPositional = false): void {
  const takesValue = new Set(valued);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      if (rejectPositional) throw new UsageError(`unexpected argument '${arg}'`);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(2, equals) : arg.slice(2);
    if (takesValue.has(name)) {
      if (equals < 0) i++;
    } else if (!flags.includes(name)) {
      throw new UsageError(`unknown option --${name} for '${command}'`);
    }
  }
}

/**
 * The first argument as the action (or mode) of `command`, one of `actions`:
 * "unknown topics action 'x' (create, list, …)" or "topics needs an action: create, … or delete".
 */
export function requireAction(command: string, action: string | undefined, actions: readonly string[], noun = 'action'): string {
  if (!action || !actions.includes(action)) {
    throw new UsageError(
      action
        ? `unknown ${command} ${noun} '${action}' (${actions.join(', ')})`
        : `${command} needs ${noun === 'action' ? 'an' : 'a'} ${noun}: ${actions.slice(0, -1).join(', ')} or ${actions.at(-1)}`,
    );
  }
  return action;
}
