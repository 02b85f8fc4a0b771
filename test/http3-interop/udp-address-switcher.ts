/**
 * A UDP relay between one client and one server on loopback that stands for
 * a NAT changing its public address: the server sees the client's datagrams
 * come from 127.0.0.2, then — once `switchAfterBytes` of the server's
 * datagrams have reached the client — from 127.0.0.3, a new IP and port.
 * The client sees nothing change. Replies to either address still reach the
 * client (the server answers on the old path until it validated the new one).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

export class UdpAddressSwitcher {
  /** The port clients send to. */
  port = 0;
  switched = false;
  bytesToClient = 0;
  private readonly front = createSocket('udp4');
  private readonly before = createSocket('udp4');
  private readonly after = createSocket('udp4');
  private client: RemoteInfo | undefined;

  constructor(
    private readonly serverPort: number,
    private readonly switchAfterBytes: number,
  ) {}

  async start(): Promise<void> {
    await Promise.all([
      new Promise<void>((r) => this.front.bind(0, '127.0.0.1', r)),
      new Promise<void>((r) => this.before.bind(0, '127.0.0.2', r)),
      new Promise<void>((r) => this.after.bind(0, '127.0.0.3', r)),
    ]);
    this.port = this.front.address().port;
    this.front.on('message', (msg, rinfo) => {
      this.client = rinfo;
      (this.switched ? this.after : this.before).send(msg, this.serverPort, '127.0.0.1');
    });
    const back = (msg: Buffer) => {
      if (!this.client) return;
      this.bytesToClient += msg.length;
      if (this.bytesToClient >= this.switchAfterBytes) this.switched = true;
      this.front.send(msg, this.client.port, this.client.address);
    };
    this.before.on('message', back);
    this.after.on('message', back);
  }

  /** The address the server sees after the switch. */
  get newAddress(): { address: string; port: number } {
    return { address: '127.0.0.3', port: this.after.address().port };
  }

  close(): void {
    for (const s of [this.front, this.before, this.after] as Socket[]) s.close();
  }
}
