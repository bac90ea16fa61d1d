/**
 * `tidelog transactions list|describe|describe-producers`: transactions from the command line,
 * modelled on Kafka's kafka-transactions.sh (same actions, columns and "None" for absent values),
 * done through the admin client (src/client).
 *
 * Tables go to stdout (columns padded and separated by a tab, as Kafka's prettyPrintTable);
 * errors go to stderr. Exit status: 0 when everything asked for was shown, 1 when something
 * failed (an unknown transactional id, a broker error), 2 for a usage error.
 * Leaves out: `abort` and `find-hanging` (they need WriteTxnMarkers from an admin client).
 */
import type { Admin } from '../../client/admin.js';
import { CommandOutput, runAdminAction } from '../admin-command.js';
import { integerOption, lastOption, parseArguments, requireAction, UsageError, type ParsedArguments } from '../arguments.js';

export const transactionsUsage = `Usage: tidelog transactions <action> [--bootstrap-server HOST:PORT] [options]

Lists and describes transactions and the producers of partitions.

Actions (like kafka-transactions.sh):
  list [--state STATE[,STATE...]] [--producer-id ID ...] [--duration-filter MS]
      TransactionalId Coordinator ProducerId TransactionState of every
      transactional id (only those in the given states, of the given producer
      ids, or running longer than MS milliseconds when asked).
  describe --transactional-id ID
      The coordinator's state of a transactional id: producer id and epoch,
      state, timeout, start time, duration and the partitions in the
      transaction.
  describe-producers --topic T --partition P
      The producers the partition's leader keeps state for, with the first
      offset of their open transaction.

Options:
  --bootstrap-server HOST:PORT[,HOST:PORT]   default 127.0.0.1:9092
  --timeout MS                               time allowed per operation, default 30000
States: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort,
PrepareEpochFence.`;

const COMMON_OPTIONS = ['bootstrap-server', 'timeout'];

const SYNTAX: Record<string, readonly string[]> = {
  list: ['state', 'producer-id', 'duration-filter'],
  describe: ['transactional-id'],
  'describe-producers': ['topic', 'partition'],
};

const ACTIONS: Record<string, (admin: Admin, args: ParsedArguments, out: Output) => Promise<void>> = {
  list: listTransactions,
  describe: describeTransaction,
  'describe-producers': describeProducers,
};

class Output extends CommandOutput {
  constructor() {
    super('Error: ');
  }
  /** Kafka's ToolsUtils.prettyPrintTable: every column padded to its widest cell, tab-separated. */
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
    const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
    for (const row of [headers, ...rows]) this.print(row.map((cell, column) => cell.padEnd(widths[column]!)).join('\t').trimEnd());
  }
}

export async function runTransactions(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const action = requireAction('transactions', first, Object.keys(ACTIONS));
  const allowed = new Set([...COMMON_OPTIONS, ...SYNTAX[action]!]);
  for (const arg of rest) {
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0]!;
    if (!allowed.has(name)) throw new UsageError(`unknown option --${name} for 'transactions ${action}'`);
  }
  const args = parseArguments(rest);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const out = new Output();
  return runAdminAction(args, 'tidelog-transactions', out, (admin) => ACTIONS[action]!(admin, args, out));
}

function required(args: ParsedArguments, name: string): string {
  const value = lastOption(args, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

const none = (value: number) => (value < 0 ? 'None' : String(value));

async function listTransactions(admin: Admin, args: ParsedArguments, out: Output): Promise<void> {
  const states = (args.options.get('state') ?? []).flatMap((value) => value.split(',').map((state) => state.trim())).filter((state) => state !== '');
  const producerIds = (args.options.get('producer-id') ?? []).map((value) => {
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`--producer-id expects an integer, got '${value}'`);
    return Number(value);
  });
  const durationMs = integerOption(args, 'duration-filter');
  const listings = await admin.listTransactions({ states, producerIds, ...(durationMs === undefined ? {} : { durationMs }) });
  out.table(
    ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'],
    listings.map((listing) => [listing.transactionalId, String(listing.coordinatorId), String(listing.producerId), listing.state]),
  );
}

async function describeTransaction(admin: Admin, args: ParsedArguments, out: Output): Promise<void> {
  const transactionalId = required(args, 'transactional-id');
  const [description] = await admin.describeTransactions([transactionalId]);
  if (description!.error) {
    out.error(`Failed to describe transactional id '${transactionalId}': ${description!.error.message}`);
    return;
  }
  const started = description!.transactionStartTimeMs;
  out.table(
    ['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'],
    [
      [
        String(description!.coordinatorId),
        transactionalId,
        String(description!.producerId),
        String(description!.producerEpoch),
        description!.state,
        String(description!.transactionTimeoutMs),
        none(started),
        started < 0 ? 'None' : String(Math.max(0, Date.now() - started)),
        description!.topicPartitions.map((item) => `${item.topic}-${item.partition}`).join(','),
      ],
    ],
  );
}

async function describeProducers(admin: Admin, args: ParsedArguments, out: Output): Promise<void> {
  const topic = required(args, 'topic');
  const partition = integerOption(args, 'partition');
  if (partition === undefined) throw new UsageError('--partition is required');
  const [result] = await admin.describeProducers([{ topic, partition }]);
  if (result!.error) {
    out.error(`Failed to describe producers of partition ${topic}-${partition}: ${result!.error.message}`);
    return;
  }
  out.table(
    ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
    result!.producers.map((producer) => [
      String(producer.producerId),
      String(producer.producerEpoch),
      none(producer.coordinatorEpoch),
      String(producer.lastSequence),
      String(producer.lastTimestamp),
      none(producer.currentTxnStartOffset),
    ]),
  );
}
