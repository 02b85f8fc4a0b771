/** The short, internals-free bodies Portico answers with when it cannot proxy. */
import type { Exchange } from './exchange.js';

const TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return TEXT[status] ?? 'Error';
}

export function respondError(ex: Exchange, status: number): void {
  // Nobody to answer: the client left or its response was cut (the upstream side is being aborted).
  if (ex.statusCode !== undefined || ex.clientGone) return;
  ex.respond(status, { 'content-type': 'text/plain; charset=utf-8' }, `${status} ${statusText(status)}\n`);
}
