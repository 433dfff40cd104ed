// Two fresh Dovecot servers for a sync test, stopped after each test.

import { afterEach } from 'vitest';
import { startDovecot, type DovecotServer } from './dovecot.js';

/** Call in a describe: a function that starts an A and a B server, both stopped after each test. */
export function dovecotPairs(): () => Promise<[DovecotServer, DovecotServer]> {
  const started: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    started.push(a, b);
    return [a, b];
  };
}
