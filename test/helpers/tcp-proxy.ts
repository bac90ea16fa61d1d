/**
 * A TCP proxy in front of a broker that can lose one response: armed for an API key, it lets
 * the next such request through to the broker, and when the broker's answer comes back it
 * closes both connections instead of forwarding it — the broker did the work, the client never
 * hears of it, as when a network fails at the wrong moment. The broker must advertise the
 * proxy's address (advertised.listeners) so that clients come back through it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class DroppingProxy {
  private armed: { apiKey: number; dropped: () => void } | null = null;
  private readonly sockets = new Set<Socket>();
  /** How many responses were dropped. */
  dropped = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private targetPort: number,
  ) {}

  static async start(targetPort = 0): Promise<DroppingProxy> {
    let proxy: DroppingProxy | undefined;
    const server = createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    proxy = new DroppingProxy(server, address.port, targetPort);
    return proxy;
  }

  /** Where the broker listens (known only once it started, after the proxy). */
  setTarget(port: number): void {
    this.targetPort = port;
  }

  /** Drops the response to the next request with `apiKey`; resolves once it has. */
  dropNextResponse(apiKey: number): Promise<void> {
    return new Promise((resolve) => (this.armed = { apiKey, dropped: resolve }));
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    let victim: number | null = null;
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const size = fromClient.readInt32BE(0);
        const apiKey = fromClient.readInt16BE(4);
        const correlationId = fromClient.readInt32BE(8);
        if (this.armed !== null && victim === null && apiKey === this.armed.apiKey) victim = correlationId;
        fromClient = fromClient.subarray(4 + size);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, chunk]);
      while (fromBroker.length >= 4 && fromBroker.length >= 4 + fromBroker.readInt32BE(0)) {
        const size = fromBroker.readInt32BE(0);
        const frame = fromBroker.subarray(0, 4 + size);
        fromBroker = fromBroker.subarray(4 + size);
        if (victim !== null && frame.readInt32BE(4) === victim) {
          const armed = this.armed!;
          this.armed = null;
          this.dropped += 1;
          close();
          armed.dropped();
          return;
        }
        client.write(frame);
      }
    });
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
