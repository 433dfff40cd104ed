// Review 9, bug 1 against real Dovecot: two-way, A deleted folders whose copies
// on B held nothing new when the run listed them; while the run copies A's new
// INBOX mail to B (its APPEND held in a proxy), mail is delivered into B's Work
// and B's Projects/2026 by another session. The deletions come last: B is
// listed again first, so Work and Projects/2026 (with its parent Projects) stay
// with that mail, Old (nothing delivered) goes; the next run brings them back
// to A and both sides hold the same bodies.

import { describe, expect, it } from 'vitest';
import type { DovecotServer } from '../support/dovecot.js';
import { holdFirst } from '../support/filterProxy.js';
import { bodyDigestsOf, listFolders, openClient, seedFolder } from '../support/imap.js';
import { proxiedPairs } from '../support/proxiedPair.js';
import { taggedMessages } from '../support/taggedMessages.js';
import { digest } from '../support/storeConformance.js';

const names = async (server: DovecotServer): Promise<string[]> => (await listFolders(server)).map((f) => f.name);

describe('two-way against Dovecot: mail delivered into a folder during the run that deletes it', () => {
  const proxiedPair = proxiedPairs();

  it('B\'s copies that got mail stay (a parent with its child), one that got none goes; the next run converges', async () => {
    let gate: ReturnType<typeof holdFirst> | undefined;
    const { a, b, sync } = await proxiedPair({ proxied: 'b', holdUp: (chunk) => gate?.hold(chunk), sync: { connections: 1 } });
    await seedFolder(a, 'Work', taggedMessages('work', 2));
    await seedFolder(a, 'Old', taggedMessages('old', 1));
    await seedFolder(a, 'Projects', []);
    await seedFolder(a, 'Projects/2026', taggedMessages('p', 1));
    // What stays keeps the deleted folders and their mail under the guard's half.
    await seedFolder(a, 'INBOX', taggedMessages('inbox', 5));
    for (const name of ['K1', 'K2', 'K3', 'K4']) await seedFolder(a, name, []);
    expect((await sync()).failures).toEqual([]);
    expect((await sync()).failures).toEqual([]);

    const client = await openClient(a);
    for (const name of ['Work', 'Old', 'Projects/2026', 'Projects']) await client.mailboxDelete(name);
    await client.logout();
    await seedFolder(a, 'INBOX', taggedMessages('inbox', 1, 5));
    const [lateWork, lateChild] = [taggedMessages('late-work', 1), taggedMessages('late-child', 1)];
    // Delivered once the folders were listed and planned, before the deletions (the last step of the run).
    gate = holdFirst(/APPEND/i, () => Promise.all([seedFolder(b, 'Work', lateWork), seedFolder(b, 'Projects/2026', lateChild)]));

    const raced = await sync();
    expect(gate.acted()).toBeDefined();
    await gate.acted();
    expect({ failures: raced.failures, deleted: raced.summary.foldersDeleted }).toEqual({ failures: [], deleted: 1 });
    expect(raced.warnings.filter((w) => w.startsWith('not deleting folder')).sort()).toEqual([
      'not deleting folder Projects on B: Projects/2026 changed during this run (new mail?); the next run looks at it again',
      'not deleting folder Projects/2026 on B: Projects/2026 changed during this run (new mail?); the next run looks at it again',
      'not deleting folder Work on B: Work changed during this run (new mail?); the next run looks at it again',
    ]);
    const workOnB = [...taggedMessages('work', 2), ...lateWork].map((m) => digest(Buffer.from(m.raw))).sort();
    const childOnB = [...taggedMessages('p', 1), ...lateChild].map((m) => digest(Buffer.from(m.raw))).sort();
    expect({ work: await bodyDigestsOf(b, 'Work'), child: await bodyDigestsOf(b, 'Projects/2026'), names: await names(b) })
      .toEqual({ work: workOnB, child: childOnB, names: ['INBOX', 'K1', 'K2', 'K3', 'K4', 'Projects', 'Projects/2026', 'Work'] });

    const next = await sync();
    expect(next.failures).toEqual([]);
    expect({ work: await bodyDigestsOf(a, 'Work'), child: await bodyDigestsOf(a, 'Projects/2026'), names: await names(a) })
      .toEqual({ work: workOnB, child: childOnB, names: ['INBOX', 'K1', 'K2', 'K3', 'K4', 'Projects', 'Projects/2026', 'Work'] });
    const idle = await sync();
    const { copied, expunged, foldersCreated, foldersDeleted } = idle.summary;
    expect([idle.failures, copied, expunged, foldersCreated, foldersDeleted]).toEqual([[], 0, 0, 0, 0]);
  });
});
