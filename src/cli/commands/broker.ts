/**
 * `tidelog broker [--config FILE] [--set key=value …]`: runs a broker until SIGTERM or SIGINT,
 * then shuts down cleanly (stops taking requests, flushes and closes every log) and exits 0.
 * Every Kafka config key may also come from the environment as TIDELOG_<KEY>.
 */
import { Broker } from '../../broker/broker.js';
import { BrokerConfig } from '../../config/broker-config.js';
import { Logger } from '../../logger.js';
import { keyValuePairs, parseArguments } from '../arguments.js';
import { fileIoUsesIoUring, IO_URING_WARNING } from '../io-uring.js';

const log = new Logger('tidelog');

export const brokerUsage = `Usage: tidelog broker [--config FILE] [--set key=value ...]

Runs a Kafka-compatible broker. With no options: a single node listening on
127.0.0.1:9092 with its data in ./data. Config keys are Kafka's, e.g.
  --set listeners=PLAINTEXT://127.0.0.1:19092 --set log.dirs=/var/lib/tidelog
  --set num.partitions=6 --set log.flush.interval.messages=1
Any key can also be set as TIDELOG_<KEY> (TIDELOG_LOG_RETENTION_HOURS=24).`;

export async function runBroker(argv: readonly string[]): Promise<number> {
  const args = parseArguments(argv);
  const config = BrokerConfig.load({
    file: args.options.get('config')?.at(-1),
    overrides: keyValuePairs(args.options.get('set'), 'set'),
    env: process.env,
  });
  if (fileIoUsesIoUring(process.platform, process.versions.uv ?? '', process.env)) log.warn(IO_URING_WARNING);
  const broker = new Broker(config);
  await broker.start();
  return new Promise<number>((resolve) => {
    let signalled = false;
    const stop = (signal: string) => {
      if (signalled) {
        log.warn(`${signal} again: exiting without finishing the shutdown`);
        process.exit(1);
      }
      signalled = true;
      log.info(`${signal} received`);
      broker.stop().then(
        () => resolve(0),
        (error: unknown) => {
          log.error('shutdown failed', error);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
