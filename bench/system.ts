/**
 * A system under test, whatever it is: Tidelog, a peer started here (NATS JetStream, Redis
 * Streams, RabbitMQ streams), or a Kafka broker someone else runs (--peer-kafka HOST:PORT). The
 * workloads see only this, so one workload drives every system the same way, and the report can
 * say for each what it was, how it was configured and what it cost.
 */
import type { ServerExit, ServerProcess } from './server-process.js';

/** Which client library speaks to it. */
export type Protocol = 'kafka' | 'nats' | 'redis' | 'rabbitmq' | 'relay';

export interface System {
  /** Short name for table columns: "Tidelog", "NATS", "Redis", "RabbitMQ", "Kafka 10.0.0.5:9092". */
  readonly name: string;
  readonly protocol: Protocol;
  /** host:port; stays the same across restart(). */
  readonly address: string;
  readonly version: string;
  /** How it was started and how it stores data, for the report; temporary paths read <tmp>. */
  readonly setup: string;
  /** True when the benchmark started it and so can read its CPU time and restart it. */
  readonly local: boolean;
  /** CPU seconds so far; NaN for a system not started here. */
  cpuSeconds(): number;
  residentBytes(): number;
  /** Bytes the system keeps on disk for a topic, where known (Tidelog's segment files). */
  logBytes(topic: string): number;
  /** Stops it cleanly and starts it again on the same data and port; resolves with the seconds from the stop signal until it was ready again. */
  restart(): Promise<number>;
  /** Stops it with its stop signal; undefined for a system not started here. */
  stop(): Promise<ServerExit | undefined>;
  /** SIGKILL, for cleaning up after a failure. */
  kill(): void;
  output(): string;
}

/**
 * The parts of a System that come from a restartable child process. `start` starts the server
 * on fixed data and port; the returned functions always speak about the current process.
 */
export async function localSystem(
  identity: Omit<System, 'local' | 'cpuSeconds' | 'residentBytes' | 'logBytes' | 'restart' | 'stop' | 'kill' | 'output'>,
  start: () => Promise<ServerProcess>,
  logBytes: (topic: string) => number = () => NaN,
): Promise<System> {
  let server = await start();
  let stopped = false;
  return {
    ...identity,
    local: true,
    cpuSeconds: () => server.cpuSeconds(),
    residentBytes: () => server.residentBytes(),
    logBytes,
    async restart() {
      const exit = await server.stop();
      if (exit.code !== 0) throw new Error(`${identity.name} exited with ${exit.code ?? exit.signal} on its stop signal before a restart:\n${server.output()}`);
      server = await start();
      return exit.seconds + server.startSeconds;
    },
    async stop() {
      if (stopped) return undefined;
      stopped = true;
      return server.stop();
    },
    kill: () => server.kill(),
    output: () => server.output(),
  };
}

/** A Kafka-API broker at an address: driven like Tidelog, but nothing about its process is known. */
export function externalKafka(address: string): System {
  return {
    name: `Kafka ${address}`,
    protocol: 'kafka',
    address,
    version: 'unknown (not started by the benchmark)',
    setup: `a Kafka-API broker at ${address}, given with --peer-kafka; its configuration is whatever it runs with`,
    local: false,
    cpuSeconds: () => NaN,
    residentBytes: () => NaN,
    logBytes: () => NaN,
    restart: () => Promise.reject(new Error(`${address} was not started by the benchmark, so it cannot be restarted`)),
    stop: () => Promise.resolve(undefined),
    kill: () => undefined,
    output: () => '',
  };
}
