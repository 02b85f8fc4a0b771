/**
 * Our own QUIC stack (src/quic/connection and its pieces) as a QuicTransport,
 * selected with `entryPoints.<n>.http3.quic: portico`.
 */
import type { QuicListener, QuicListenOptions, QuicTransport } from '../transport.js';
import { PorticoListener } from './portico-listener.js';

export const porticoTransport: QuicTransport = {
  name: 'portico',
  async listen(opts: QuicListenOptions): Promise<QuicListener> {
    const listener = new PorticoListener(opts);
    await listener.bind();
    return listener;
  },
};
