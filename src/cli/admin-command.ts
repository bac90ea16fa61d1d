/**
 * What the admin commands (tidelog groups, topics, configs, transactions) share: the admin
 * client from --bootstrap-server and --timeout, the output with its failed flag, and the exit
 * status (0 when everything asked for was done, 1 when something failed; a usage error is
 * thrown as UsageError, which main turns into 2).
 */
import { Admin, type ClientOptions } from '../client/admin.js';
import { KafkaError } from '../errors.js';
import { integerOption, lastOption, UsageError, type ParsedArguments } from './arguments.js';

/** Results to stdout; notes and errors to stderr, an error also marking the run as failed. */
export class CommandOutput {
  failed = false;

  /** @param errorPrefix put before every error ('Error: ', 'Error while executing topic command : ', …). */
  constructor(private readonly errorPrefix: string) {}

  print(text: string): void {
    process.stdout.write(`${text}\n`);
  }
  note(text: string): void {
    process.stderr.write(`${text}\n`);
  }
  error(text: string): void {
    this.failed = true;
    process.stderr.write(`${this.errorPrefix}${text}\n`);
  }
}

/** An admin client; a --bootstrap-server it cannot parse is a usage error. */
export function createAdmin(options: ClientOptions): Admin {
  try {
    return new Admin(options);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--bootstrap-server: ${error.message}`);
    throw error;
  }
}

/**
 * Runs `action` with an admin client built from --bootstrap-server (default 127.0.0.1:9092) and
 * --timeout (ms per operation, default 30000), and closes it. A KafkaError that ends the action
 * is reported through `out.error(failure(message))`. Returns the exit status: 1 when out failed.
 */
export async function runAdminAction(
  args: ParsedArguments,
  clientId: string,
  out: CommandOutput,
  action: (admin: Admin) => Promise<void>,
  failure: (message: string) => string = (message) => message,
): Promise<number> {
  const timeoutMs = integerOption(args, 'timeout') ?? 30_000;
  if (timeoutMs <= 0) throw new UsageError('--timeout must be positive');
  const admin = createAdmin({
    bootstrapServers: lastOption(args, 'bootstrap-server') ?? '127.0.0.1:9092',
    clientId,
    apiTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, 10_000),
  });
  try {
    await action(admin);
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    out.error(failure(error.message));
  } finally {
    await admin.close();
  }
  return out.failed ? 1 : 0;
}
