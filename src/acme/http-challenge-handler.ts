/**
 * `acme-http@internal`: answers HTTP-01 validation requests
 * (`GET /.well-known/acme-challenge/<token>`, RFC 8555 §8.3) with the key
 * authorization of a pending challenge. The internal provider routes that path
 * on each resolver's `httpChallenge.entryPoint` above every other router,
 * entrypoint redirections included: the CA follows no redirect to a
 * certificate it does not have yet.
 */
import type { Handler } from '../exchange/exchange.js';
import type { AcmeChallengeStore } from './challenge-store.js';

export const ACME_CHALLENGE_PATH = '/.well-known/acme-challenge/';

export function httpChallengeHandler(challenges: AcmeChallengeStore): Handler {
  return (ex) => {
    const path = ex.facts.path;
    const token = path.startsWith(ACME_CHALLENGE_PATH) ? path.slice(ACME_CHALLENGE_PATH.length) : '';
    const keyAuthorization = token && (ex.facts.method === 'GET' || ex.facts.method === 'HEAD') ? challenges.keyAuthorization(token) : undefined;
    if (keyAuthorization === undefined) return ex.respond(404, { 'content-type': 'text/plain; charset=utf-8' }, 'no such ACME challenge\n');
    ex.respond(200, { 'content-type': 'application/octet-stream' }, keyAuthorization);
  };
}
