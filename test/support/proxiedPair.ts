// Two fresh Dovecot servers for a two-way test, one side reached through a
// filter proxy (filterProxy.ts) in every run of the test: the state names a
// side by its URL, so the proxy cannot come and go between runs.

import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { SyncOptions } from '../../src/sync/types.js';
import { startDovecot, type DovecotServer } from './dovecot.js';
import { passThrough, startFilterProxy, type CommandHold, type FilterProxy, type ResponseFilter } from './filterProxy.js';
import { plainSpecVia, syncOnce, tempDir, type EngineRun } from './sync.js';

export interface ProxiedPair {
  a: DovecotServer;
  b: DovecotServer;
  /** In front of the proxied side. */
  proxy: FilterProxy;
  /** One run on the pair's own state file. */
  sync: () => Promise<EngineRun>;
}

export interface ProxiedPairOptions {
  proxied: 'a' | 'b';
  filter?: ResponseFilter;
  holdUp?: CommandHold;
  sync?: Partial<SyncOptions>;
}

/** Call in a describe: a function that opens a ProxiedPair, closed after each test. */
export function proxiedPairs(): (options: ProxiedPairOptions) => Promise<ProxiedPair> {
  const open: { servers: DovecotServer[]; proxies: FilterProxy[] } = { servers: [], proxies: [] };
  afterEach(async () => {
    await Promise.all(open.proxies.splice(0).map((p) => p.close()));
    await Promise.all(open.servers.splice(0).map((s) => s.stop()));
  });
  return async ({ proxied, filter = passThrough, holdUp, sync: options = {} }) => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    open.servers.push(a, b);
    const target = proxied === 'a' ? a : b;
    const proxy = await startFilterProxy({ targetHost: target.host, targetPort: target.imapPort, filter, ...(holdUp && { holdUp }) });
    open.proxies.push(proxy);
    const statePath = join(tempDir('replimap-proxied-'), 'state');
    const via = { [proxied]: plainSpecVia(target, proxy.port) };
    return { a, b, proxy, sync: () => syncOnce(a, b, statePath, { mode: 'two-way', ...options }, {}, via) };
  };
}
