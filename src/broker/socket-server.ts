/**
 * Accepts client connections on each configured listener and hands every socket to a
 * Connection. Closing stops accepting first, then closes the connections.
 */
import { createServer, type Server } from 'node:net';
import type { Listener } from '../config/broker-config.js';
import { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { Connection, type ConnectionLimits } from './connection.js';

const log = new Logger('socket-server');

export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  /** The ports actually bound, by listener name (port 0 in the config picks a free port). */
  readonly boundPorts = new Map<string, number>();

  constructor(
    private readonly broker: Broker,
    private readonly limits: ConnectionLimits,
    private readonly maxConnections: number,
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(listeners: readonly Listener[]): Promise<void> {
    for (const listener of listeners) {
      const server = createServer({ noDelay: true }, (socket) => {
        if (this.connections.size >= this.maxConnections) {
          log.warn(`refusing connection from ${socket.remoteAddress}: max.connections=${this.maxConnections} reached`);
          socket.destroy();
          return;
        }
        const connection = new Connection(this.nextConnectionId++, socket, listener.name, this.broker, this.limits, (closed) =>
          this.connections.delete(closed),
        );
        this.connections.add(connection);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listener.host || undefined, port: listener.port, backlog: 1024 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : listener.port;
      this.boundPorts.set(listener.name, port);
      this.servers.push(server);
      log.info(`listening on ${listener.name}://${listener.host}:${port}`);
    }
  }

  /** Stops accepting connections and stops reading requests; pending responses may still go out. */
  stopAccepting(): void {
    for (const server of this.servers) server.close();
    for (const connection of this.connections) connection.stopReading();
  }

  closeConnections(): void {
    for (const connection of this.connections) connection.close();
    this.connections.clear();
  }
}
