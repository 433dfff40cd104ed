// Issue 8 against real Dovecot: two-way with a B that cannot store new
// keywords (no \* in PERMANENTFLAGS; a filtering proxy takes it out of
// Dovecot's SELECT answers). Both sides converge on what B can store: B's
// copies lack the keywords, A keeps them (their absence on B is no change of
// B), the run warns once, and the next run does nothing.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startFilterProxy, type FilterProxy, type ResponseFilter } from '../support/filterProxy.js';
import { readFolder, seedFolder, setFlags } from '../support/imap.js';
import { plainSpecVia, syncOnce, tempDir, type EngineRun } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

/** `[PERMANENTFLAGS (...)]` without `\*`: new keywords cannot be stored. */
const withoutNewKeywords: ResponseFilter = (response) => {
  const text = response.toString('latin1');
  if (!/\[PERMANENTFLAGS \(/i.test(text)) return response;
  return Buffer.from(text.replace(/\[PERMANENTFLAGS \(([^)]*)\)\]/i, (_, flags: string) => `[PERMANENTFLAGS (${flags.split(' ').filter((f) => f !== '\\*').join(' ')})]`), 'latin1');
};

const digest = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');

/** "digest flags" of every INBOX message, sorted. */
async function view(server: DovecotServer): Promise<string[]> {
  return (await readFolder(server, 'INBOX')).map((m) => `${digest(m.body)} ${m.flags.join(' ')}`).sort();
}

const line = (n: number, tag: string, flags: string[]): string => `${digest(taggedMessage(n, tag))} ${[...flags].sort().join(' ')}`;

describe('two-way against Dovecot, B without \\* in PERMANENTFLAGS', () => {
  const open: { servers: DovecotServer[]; proxies: FilterProxy[] } = { servers: [], proxies: [] };
  afterEach(async () => {
    await Promise.all(open.proxies.splice(0).map((p) => p.close()));
    await Promise.all(open.servers.splice(0).map((s) => s.stop()));
  });

  it('keywords on A: B gets what it can store, A keeps its keywords, one warning per keyword, the next run does nothing', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    open.servers.push(a, b);
    const proxy = await startFilterProxy({ targetHost: b.host, targetPort: b.imapPort, filter: withoutNewKeywords });
    open.proxies.push(proxy);
    const statePath = join(tempDir('replimap-twoway-keywords-'), 'state');
    const sync = (): Promise<EngineRun> => syncOnce(a, b, statePath, { mode: 'two-way' }, {}, { b: plainSpecVia(b, proxy.port) });
    await seedFolder(a, 'INBOX', [
      { raw: taggedMessage(0, 'kw'), flags: ['$Work', '\\Seen'] },
      { raw: taggedMessage(1, 'kw'), flags: ['$Later'] },
      { raw: taggedMessage(2, 'kw') },
    ]);
    await seedFolder(b, 'INBOX', [{ raw: taggedMessage(0, 'on-b'), flags: ['\\Flagged'] }]);

    const first = await sync();
    const cannot = (run: EngineRun): string[] => run.warnings.filter((w) => /cannot store the keyword/.test(w)).sort();
    expect({ failures: first.failures, copied: first.summary.bySide!, warnings: cannot(first) }).toEqual({
      failures: [],
      copied: { a: expect.objectContaining({ copied: 1 }), b: expect.objectContaining({ copied: 3 }) },
      warnings: [
        'B cannot store the keyword $Later (not in PERMANENTFLAGS); copies will lack it',
        'B cannot store the keyword $Work (not in PERMANENTFLAGS); copies will lack it',
      ],
    });
    const onA = [line(0, 'kw', ['$Work', '\\Seen']), line(1, 'kw', ['$Later']), line(2, 'kw', []), line(0, 'on-b', ['\\Flagged'])].sort();
    const onB = [line(0, 'kw', ['\\Seen']), line(1, 'kw', []), line(2, 'kw', []), line(0, 'on-b', ['\\Flagged'])].sort();
    expect([await view(a), await view(b)]).toEqual([onA, onB]);

    // Nothing to do: B's missing keywords are no change of B, so A keeps them and nothing is written or said again.
    const second = await sync();
    expect({
      failures: second.failures, copied: second.summary.copied, flags: second.summary.flagsUpdated, expunged: second.summary.expunged,
      warnings: second.warnings,
    }).toEqual({ failures: [], copied: 0, flags: 0, expunged: 0, warnings: [] });
    expect([await view(a), await view(b)]).toEqual([onA, onB]);

    // A flag B can store still goes both ways, and A's keyword stays.
    const [kw0] = (await readFolder(b, 'INBOX')).filter((m) => m.body.toString() === taggedMessage(0, 'kw'));
    await setFlags(b, 'INBOX', [kw0!.uid], ['\\Answered'], []);
    const third = await sync();
    expect([third.failures, third.summary.bySide!.a.flagsUpdated, third.summary.bySide!.b.flagsUpdated]).toEqual([[], 1, 0]);
    expect((await view(a)).find((l) => l.startsWith(digest(taggedMessage(0, 'kw'))))).toBe(line(0, 'kw', ['$Work', '\\Answered', '\\Seen']));
    expect((await view(b)).find((l) => l.startsWith(digest(taggedMessage(0, 'kw'))))).toBe(line(0, 'kw', ['\\Answered', '\\Seen']));
    const fourth = await sync();
    expect([fourth.failures, fourth.summary.copied, fourth.summary.flagsUpdated, fourth.warnings]).toEqual([[], 0, 0, []]);
  });
});
