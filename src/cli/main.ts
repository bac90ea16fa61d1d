#!/usr/bin/env node
/**
 * The `tidelog` command. Each subcommand lives in cli/commands/ and only parses arguments and
 * prints; the work is done by the parts it calls.
 */
import { ConfigError } from '../errors.js';
import { Logger } from '../logger.js';
import { UsageError } from './arguments.js';
import { brokerUsage, runBroker } from './commands/broker.js';
import { groupsUsage, runGroups } from './commands/groups.js';
import { configsUsage, runConfigs } from './commands/configs.js';
import { perfUsage, runPerf } from './commands/perf.js';
import { runTopics, topicsUsage } from './commands/topics.js';
import { runTransactions, transactionsUsage } from './commands/transactions.js';

const log = new Logger('tidelog');

const COMMANDS: Record<string, { usage: string; run: (argv: readonly string[]) => Promise<number> }> = {
  broker: { usage: brokerUsage, run: runBroker },
  groups: { usage: groupsUsage, run: runGroups },
  topics: { usage: topicsUsage, run: runTopics },
  configs: { usage: configsUsage, run: runConfigs },
  transactions: { usage: transactionsUsage, run: runTransactions },
  perf: { usage: perfUsage, run: runPerf },
};

const usage = `Usage: tidelog <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(12)} ${command.usage.split('\n')[2] ?? ''}`)
  .join('\n')}

Run 'tidelog <command> --help' for a command's options.`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`tidelog: unknown command '${name}'\n\n${usage}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`tidelog: ${error.message}\n`);
      process.exit(2);
    }
    log.error('fatal error', error);
    process.exit(1);
  },
);
