/**
 * Stream IDs (RFC 9000 §2.1): the two low bits say who opened the stream
 * (bit 0: 0 client, 1 server) and whether it is bidirectional (bit 1: 0) or
 * unidirectional (bit 1: 1); the rest counts streams of that type. IDs reach
 * 2^62, beyond 32-bit integers, so this uses arithmetic, not bit operators.
 */

export type StreamInitiator = 'client' | 'server';
export type StreamDirection = 'bidi' | 'uni';

/** The four stream types, indexed by `id % 4`. */
export const StreamType = {
  ClientBidi: 0,
  ServerBidi: 1,
  ClientUni: 2,
  ServerUni: 3,
} as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

export function streamType(id: number): StreamType {
  return (id % 4) as StreamType;
}

/** The position of the stream among the streams of its type (0 for the first). */
export function streamIndex(id: number): number {
  return Math.floor(id / 4);
}

/** The ID of the `index`th stream of `type`. */
export function streamIdOf(type: StreamType, index: number): number {
  return index * 4 + type;
}

export function isUnidirectional(id: number): boolean {
  return id % 4 >= 2;
}

export function streamInitiator(id: number): StreamInitiator {
  return id % 2 === 0 ? 'client' : 'server';
}

export function streamTypeOf(initiator: StreamInitiator, direction: StreamDirection): StreamType {
  return ((direction === 'uni' ? 2 : 0) + (initiator === 'server' ? 1 : 0)) as StreamType;
}
