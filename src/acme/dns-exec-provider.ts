/**
 * lego's `exec` DNS provider: `EXEC_PATH` is run as
 * `<program> present|cleanup <fqdn> <value>` (`_acme-challenge.example.com.`
 * and the TXT value), or with `EXEC_MODE=RAW` as
 * `<program> present|cleanup -- <domain> <token> <keyAuth>`; a non-zero exit
 * fails the order, with what the program printed. `EXEC_PROPAGATION_TIMEOUT`
 * and `EXEC_POLLING_INTERVAL` (seconds, default 60 and 2) bound the wait for
 * the record to be visible.
 */
import { execFile } from 'node:child_process';
import type { DnsChallengeProvider, DnsChallengeRecord, LegoEnv } from './dns-provider-contract.js';
import { legoMode, legoPropagationTimings } from './dns-provider-contract.js';

/** A program that has not finished after this long is killed and the order fails. */
const PROGRAM_TIMEOUT_MS = 120_000;
/** What of the program's output goes into the error. */
const OUTPUT_IN_ERROR = 500;

export function execDnsProvider(read: LegoEnv): DnsChallengeProvider {
  const program = read('EXEC_PATH');
  if (!program) throw new Error('the exec DNS provider needs EXEC_PATH (the program that sets and removes the TXT record)');
  const mode = legoMode(read, 'EXEC_MODE');
  const run = (action: 'present' | 'cleanup', r: DnsChallengeRecord) =>
    new Promise<void>((resolve, reject) => {
      const args = mode === 'raw' ? [action, '--', r.domain, r.token, r.keyAuthorization] : [action, r.fqdn, r.value];
      execFile(program, args, { timeout: PROGRAM_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (!err) return resolve();
        const output = `${stderr}${stdout}`.trim().slice(0, OUTPUT_IN_ERROR);
        const why = err.killed ? `killed after ${PROGRAM_TIMEOUT_MS / 1000} s` : (err.code ?? err.message);
        reject(new Error(`EXEC_PATH ${program} ${action} ${r.fqdn} failed (${why})${output ? `: ${output}` : ''}`));
      });
    });
  return {
    name: 'exec',
    present: (r) => run('present', r),
    cleanup: (r) => run('cleanup', r),
    ...legoPropagationTimings(read, 'EXEC'),
  };
}
