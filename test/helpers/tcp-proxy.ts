/**
 * Test helper: a loopback TCP proxy in front of the PostgreSQL server, so that a test can break
 * the network between a store and its database while the server itself keeps running for every
 * other test. A store connects through it by using `proxy.connectionString` (the same database,
 * the proxy's port). Three states:
 *
 * - forwarding (the start, and after `restore()`): every connection is relayed to the server;
 * - `cut()`: every open connection is destroyed both ways (the server ends its sessions, as it
 *   does when a client vanishes) and new ones are reset as soon as they arrive, as a server that
 *   went away would; the listening socket stays open, so that `restore()` never has to win the
 *   port back from another process;
 * - `blackhole()`: nothing moves any more, in either direction, on open connections or new ones
 *   (new ones are accepted, as a kernel does, and get no answer): a hung network. Bytes and
 *   closes wait in order, as TCP retransmits them, and `restore()` delivers them; a connection
 *   whose client gave up before then never reaches the server.
 *
 * It emits `refused` for each connection reset during a cut, so a test can await the store's
 * attempts to reach the database instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

type State = 'forwarding' | 'cut' | 'blackhole';

/** The end of one direction of a connection, queued behind its bytes. */
const END = Symbol('end');
type Item = Buffer | typeof END;

/** One client connection and, once it reaches the server, its upstream connection. */
class Link {
  readonly #client: Socket;
  readonly #target: { readonly host: string; readonly port: number };
  readonly #done: () => void;
  #upstream: Socket | undefined;
  #held: boolean;
  #dead = false;
  /** What waits while held: bytes to the server, and bytes to the client. */
  readonly #toServer: Item[] = [];
  readonly #toClient: Item[] = [];
  #clientEnded = false;
  #serverEnded = false;

  constructor(client: Socket, target: { readonly host: string; readonly port: number }, held: boolean, done: () => void) {
    this.#client = client;
    this.#target = target;
    this.#held = held;
    this.#done = done;
    client.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => this.#send('server', chunk));
    // A client that closes without ending (an error, a destroy) ends its direction all the same.
    client.on('end', () => this.#clientEnd());
    client.on('close', () => {
      this.#clientEnd();
      if (this.#upstream === undefined || this.#upstream.destroyed) this.#finish();
    });
    if (!held) this.#connectUpstream();
  }

  #clientEnd(): void {
    if (this.#clientEnded) return;
    this.#clientEnded = true;
    this.#send('server', END);
  }

  #serverEnd(): void {
    if (this.#serverEnded) return;
    this.#serverEnded = true;
    this.#send('client', END);
  }

  #connectUpstream(): void {
    const upstream = connect(this.#target);
    this.#upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('data', (chunk: Buffer) => this.#send('client', chunk));
    upstream.on('end', () => this.#serverEnd());
    upstream.on('close', () => {
      this.#serverEnd();
      if (this.#client.destroyed) this.#finish();
    });
  }

  #send(to: 'server' | 'client', item: Item): void {
    if (this.#dead) return;
    if (this.#held) (to === 'server' ? this.#toServer : this.#toClient).push(item);
    else this.#deliver(to, item);
  }

  #deliver(to: 'server' | 'client', item: Item): void {
    const socket = to === 'server' ? this.#upstream : this.#client;
    if (socket === undefined || socket.destroyed) return;
    if (item === END) socket.end();
    else socket.write(item);
  }

  hold(): void {
    this.#held = true;
  }

  /** Delivers what waited, in order, and forwards from now on; a client that left before it reached the server is dropped. */
  release(): void {
    if (!this.#held || this.#dead) return;
    this.#held = false;
    if (this.#upstream === undefined) {
      if (this.#clientEnded) return this.#finish();
      this.#connectUpstream();
    }
    for (const item of this.#toServer.splice(0)) this.#deliver('server', item);
    for (const item of this.#toClient.splice(0)) this.#deliver('client', item);
  }

  destroy(): void {
    this.#dead = true;
    this.#toServer.length = 0;
    this.#toClient.length = 0;
    this.#client.destroy();
    this.#upstream?.destroy();
    this.#finish();
  }

  #finish(): void {
    this.#dead = true;
    this.#done();
  }
}

/** A running proxy (see the module comment). */
export class TcpProxy extends EventEmitter {
  readonly #server: Server;
  readonly #target: { readonly host: string; readonly port: number };
  readonly #links = new Set<Link>();
  #state: State = 'forwarding';
  /** The connection string the store uses to reach the database through the proxy. */
  readonly connectionString: string;

  private constructor(server: Server, target: { host: string; port: number }, connectionString: string) {
    super();
    this.#server = server;
    this.#target = target;
    this.connectionString = connectionString;
    server.on('connection', (client) => this.#accept(client));
  }

  /** Starts a proxy on a free loopback port in front of the server `connectionString` names. */
  static async inFrontOf(connectionString: string): Promise<TcpProxy> {
    const url = new URL(connectionString);
    const target = { host: url.hostname, port: Number(url.port || 5432) };
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    url.hostname = '127.0.0.1';
    url.port = String((server.address() as AddressInfo).port);
    return new TcpProxy(server, target, url.toString());
  }

  #accept(client: Socket): void {
    if (this.#state === 'cut') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      this.emit('refused');
      return;
    }
    const link = new Link(client, this.#target, this.#state === 'blackhole', () => this.#links.delete(link));
    this.#links.add(link);
  }

  /** Destroys every open connection both ways and resets new ones until `restore()`. */
  cut(): void {
    this.#state = 'cut';
    for (const link of [...this.#links]) link.destroy();
  }

  /** Stops every byte, both ways, on open connections and new ones, until `restore()`. */
  blackhole(): void {
    this.#state = 'blackhole';
    for (const link of this.#links) link.hold();
  }

  /** Forwards again on the same port, delivering what a blackhole held. */
  restore(): void {
    this.#state = 'forwarding';
    for (const link of [...this.#links]) link.release();
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const link of [...this.#links]) link.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
