// Review 9, bug 7 against real Dovecot: two-way, B deleted a message of Work;
// A's read of Work is incremental (nothing changed there), so before expunging
// A's copy the run asks A what that UID holds now (needIdentity: a restore may
// have given it to new mail). A server that leaves the UID out of its answer
// (a proxy drops that FETCH row; the message stays) gets nothing deleted, a
// warning, and Work unsettled: its statuses are not recorded, so the next run
// reads it again, asks again and, answered, deletes it; both sides converge.
// A proxy, because Dovecot 2.3 does answer on its own: a message another
// session expunged while the question was held (the asking session not yet
// told) still gets its envelope row, from Dovecot's cache (tried).

import { describe, expect, it } from 'vitest';
import { dropEnvelopeOf, passThrough } from '../support/filterProxy.js';
import { bodyDigestsOf, expungeUids, readFolder, seedFolder } from '../support/imap.js';
import { digest } from '../support/storeConformance.js';
import { proxiedPairs } from '../support/proxiedPair.js';
import { taggedMessages } from '../support/taggedMessages.js';

describe('two-way against Dovecot: an identity question the server leaves unanswered', () => {
  const proxiedPair = proxiedPairs();

  it('keeps the message, warns, leaves the folder unsettled; answered, the next run deletes it and both sides agree', async () => {
    const { a, b, proxy, sync } = await proxiedPair({ proxied: 'a' });
    const work = taggedMessages('work', 3);
    const [, secondOnA] = await seedFolder(a, 'Work', work);
    expect((await sync()).failures).toEqual([]);
    expect((await sync()).failures).toEqual([]);

    const [, secondOnB] = (await readFolder(b, 'Work')).map((m) => m.uid);
    await expungeUids(b, 'Work', [secondOnB!]);
    proxy.setFilter(dropEnvelopeOf(secondOnA!));
    const unanswered = await sync();
    expect(proxy.dropped()).toBe(1); // the identity question's row, the only envelope of it asked for
    const all = work.map((m) => digest(Buffer.from(m.raw))).sort();
    expect({ failures: unanswered.failures, expunged: unanswered.summary.expunged, onA: await bodyDigestsOf(a, 'Work') })
      .toEqual({ failures: [], expunged: 0, onA: all });
    expect(unanswered.warnings).toEqual([
      `Work: not deleting A UID ${secondOnA} the other side deleted: A did not say what it holds now; the folder is read again next run`,
    ]);

    proxy.setFilter(passThrough);
    const answered = await sync();
    const kept = work.filter((_, i) => i !== 1).map((m) => digest(Buffer.from(m.raw))).sort();
    expect({ failures: answered.failures, expunged: answered.summary.expunged, a: await bodyDigestsOf(a, 'Work'), b: await bodyDigestsOf(b, 'Work') })
      .toEqual({ failures: [], expunged: 1, a: kept, b: kept });
    const idle = await sync();
    expect([idle.failures, idle.warnings, idle.summary.copied, idle.summary.expunged]).toEqual([[], [], 0, 0]);
  });
});
