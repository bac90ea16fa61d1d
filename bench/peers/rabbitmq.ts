/**
 * RabbitMQ streams as a peer: Debian's rabbitmq-server (3.10) started here as a node of its own,
 * with its name, data, logs, configuration, Erlang cookie and port mapper (epmd) all in the run's
 * temporary directory and nothing read from /etc/rabbitmq, no plugins, AMQP 0-9-1 on 127.0.0.1.
 * Each Kafka partition of a workload becomes one stream (a queue declared with x-queue-type
 * stream, bench/clients/rabbitmq.ts): an append-only log of segment files, one replica here. A
 * publisher confirm for a stream means a quorum of its replicas (here the only one) has written
 * the message to its segment file; RabbitMQ never fsyncs stream segments itself and leaves the
 * write-back to the OS (its streams guide, "Data Safety"), so, as for Tidelog, the durability
 * promised here is the page cache's.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../proc.js';
import { startServerProcess, type ServerProcess } from '../server-process.js';
import { localSystem, type System } from '../system.js';

/**
 * The upstream start script. Debian's /usr/sbin/rabbitmq-server wraps it to run as the rabbitmq
 * user, in /var/lib/rabbitmq, with its output in /var/log/rabbitmq; this one runs as its caller.
 */
const SCRIPT = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/** The server's version when it is installed, else undefined. */
export function rabbitmqVersion(): string | undefined {
  try {
    // The script is a link into rabbitmq_server-<version>/sbin: reading it starts no Erlang VM,
    // as `rabbitmqctl version` would.
    return /rabbitmq_server-([^/]+)\//.exec(realpathSync(SCRIPT))?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
}

export async function startRabbitmq(dir: string): Promise<System> {
  const version = rabbitmqVersion();
  if (!version) throw new Error(`${SCRIPT} is not installed (Debian package rabbitmq-server)`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = `listeners.tcp.default = 127.0.0.1:${port}`;
  writeFileSync(join(dir, 'rabbitmq.conf'), `${config}\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  return localSystem(
    {
      name: 'RabbitMQ',
      protocol: 'rabbitmq',
      address: `127.0.0.1:${port}`,
      version,
      setup:
        `\`rabbitmq-server\` as node tidelog-bench-<port>@localhost with \`${config.replace(String(port), '<port>')}\`, ` +
        'no plugins, its data, logs, Erlang cookie and an epmd of its own under <tmp>/rabbitmq; one stream per partition ' +
        '(x-queue-type stream, one replica, 500 MB segments, no retention limits), AMQP 0-9-1 with publisher confirms; ' +
        'a confirm means the stream segment was written, never fsynced by RabbitMQ (the OS writes it back)',
    },
    () => startNode(dir, port),
  );
}

/**
 * One run of the node, with an epmd of its own: Erlang nodes find each other through epmd, and
 * the one the VM would start by itself outlives it as a daemon. This one is a child process on a
 * free port, stopped after the node.
 */
async function startNode(dir: string, port: number): Promise<ServerProcess> {
  const epmdPort = await freePort();
  // Without -daemon it stays a child; -d makes it print "epmd running" once it listens.
  const epmd = await startServerProcess('epmd', 'epmd', ['-port', String(epmdPort), '-address', '127.0.0.1', '-d'], /epmd running/);
  let node: ServerProcess;
  try {
    node = await startServerProcess('rabbitmq-server', SCRIPT, [], streamsRecovered, {
      env: {
        ...process.env,
        // Where the VM keeps the node's Erlang cookie, creating it on the first start.
        HOME: dir,
        ERL_EPMD_PORT: String(epmdPort),
        // Its data directory is named after the node, so the name stays the same across restarts.
        RABBITMQ_NODENAME: `tidelog-bench-${port}@localhost`,
        RABBITMQ_DIST_PORT: String(await freePort()),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_LOGS: '-',
        RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        // Neither exists: the machine's rabbitmq-env.conf and advanced.config must not matter.
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
        // Makes the script exec the VM instead of running it under a shell that forwards signals:
        // the child is then the VM itself, whose CPU time and memory are the server's and which a
        // SIGKILL ends. -noinput keeps the Erlang shell off, as the script would without it.
        RABBITMQ_ALLOW_INPUT: 'true',
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-noinput -start_epmd false -kernel inet_dist_use_interface {127,0,0,1}',
      },
    });
  } catch (error) {
    epmd.kill();
    throw error;
  }
  return {
    ...node,
    startSeconds: epmd.startSeconds + node.startSeconds,
    // SIGTERM (the default): the VM stops the broker in order and exits 0.
    async stop() {
      const exit = await node.stop();
      await epmd.stop();
      return exit;
    },
    kill() {
      node.kill();
      epmd.kill();
    },
  };
}

/**
 * Ready once the broker says its startup is complete and, after a restart, every stream it
 * recovered has its writer again: the stream coordinator starts them only after that line, and
 * until then a stream refuses consumers ("home node … is down or inaccessible"). So a restart's
 * start time covers the recovery of the streams, as Redis's covers the replay of its AOF.
 */
export function streamsRecovered(output: string): boolean {
  if (!output.includes('Server startup complete')) return false;
  const recovered = Number(/Recovering (\d+) queues of type rabbit_stream_queue/.exec(output)?.[1] ?? 0);
  return (output.match(/osiris_writer:init\/1/g)?.length ?? 0) >= recovered;
}
