/**
 * A broker in the test's own process (faster than a child process, and its memory and state
 * can be inspected). Port 0 picks a free port.
 */
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { removeDir, temporaryDataDir } from './broker-process.js';

export interface InProcessBroker {
  readonly broker: Broker;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** A broker (not started) on loopback with a free port and its data in `dataDir`; `overrides` are more broker settings. */
export function brokerOn(dataDir: string, overrides: Record<string, string> = {}): Broker {
  return new Broker(BrokerConfig.load({ overrides: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dataDir, ...overrides } }));
}

export async function startInProcessBroker(overrides: Record<string, string> = {}): Promise<InProcessBroker> {
  const dataDir = temporaryDataDir();
  const broker = brokerOn(dataDir, overrides);
  await broker.start();
  return {
    broker,
    port: broker.boundPort(),
    dataDir,
    async stop() {
      await broker.stop();
      removeDir(dataDir);
    },
  };
}
