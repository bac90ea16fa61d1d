/**
 * The end-to-end latency limit: the relay (relay-process.ts) started as a child process and
 * presented as a system, so the latency workload drives it exactly as it drives Tidelog and the
 * peers. Whatever latency it shows is the cost of the clients, the pacing and the loopback
 * hops, which no broker can go below on this machine.
 */
import { join } from 'node:path';
import { freePort } from '../proc.js';
import { startServerProcess } from '../server-process.js';
import { localSystem, type System } from '../system.js';

const PROCESS = join(import.meta.dirname, 'relay-process.js');

export async function startRelay(): Promise<System> {
  const port = await freePort();
  return localSystem(
    {
      name: 'relay',
      protocol: 'relay',
      address: `127.0.0.1:${port}`,
      version: process.version,
      setup: 'bench/limits/relay-process.ts: a Node process that passes the producer\'s bytes to the consumer; no storage, no acknowledgements',
    },
    () => startServerProcess('relay', process.execPath, [PROCESS, String(port)], /relay listening/),
  );
}
