/** Objects and waits the Gateway API end-to-end tests share. */
import type { KObject } from './fake-apiserver.js';
import { PORTICO_GATEWAY_CONTROLLER } from '../../../src/provider/manifests/gateway/gateway-objects.js';

export const G = 'gateway.networking.k8s.io/v1';

/** The GatewayClass `portico` (our controller) and Gateway `gw` of `namespace` with these listeners. */
export function porticoGateway(namespace: string, listeners: unknown[]): KObject[] {
  return [
    { apiVersion: G, kind: 'GatewayClass', metadata: { name: 'portico' }, spec: { controllerName: PORTICO_GATEWAY_CONTROLLER } },
    { apiVersion: G, kind: 'Gateway', metadata: { name: 'gw', namespace }, spec: { gatewayClassName: 'portico', listeners } },
  ];
}

/** A Service (port 8080) whose one ready endpoint is 127.0.0.1:`port`. */
export function serviceOnLoopback(name: string, namespace: string, port: number, protocol = 'TCP'): KObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: [{ name: 'p', port: 8080, protocol }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace, labels: { 'kubernetes.io/service-name': name } },
      ports: [{ name: 'p', port, protocol }],
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
    },
  ];
}

/** Poll `check` until it holds, bounded in time. */
export async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
