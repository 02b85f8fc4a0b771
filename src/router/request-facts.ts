/**
 * What a routing rule can see of a request, independent of HTTP version.
 * h1, h2 and h3 each fill one of these once per request; the router never
 * touches protocol objects.
 */
export interface RequestFacts {
  /** Upper-case method as sent. */
  method: string;
  /** Lower-case host without port and without a trailing dot (from Host or :authority). */
  host: string;
  /** Normalised path (see normalize-path.ts): no dot segments, no empty segments, percent-decoded unreserved chars. */
  path: string;
  /** Raw query string without the leading `?` ('' when absent). */
  query: string;
  /** Lower-case header names; values joined as the protocol delivered them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Client IP address as text (IPv4 dotted or IPv6, no zone, IPv4-mapped IPv6 unwrapped). */
  clientIp: string;
}
