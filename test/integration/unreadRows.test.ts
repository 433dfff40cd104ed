// A full listing (every message's flags, or every envelope) that a server
// answers with OK but fewer rows than the folder holds: the messages it left
// out are still there, so they must not look deleted. Mirror mode would then
// delete B's copies, copy mode append duplicates. Each is a failure listed by
// folder and UID (exit 1), its record untouched, and the next run settles it.
// Real Dovecot servers without CONDSTORE (so every run lists every message's
// flags), each behind a proxy that can drop one UID's FETCH rows.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropEnvelopeOf, dropRowsOf, fetchRowOf, passThrough, startFilterProxy, type FilterProxy, type ResponseFilter } from '../support/filterProxy.js';
import { bodyDigestsOf as digests, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { taggedMessage } from '../support/taggedMessages.js';
import { passwordEnv, plainSpecVia, runCli, syncOnce, tempDir, type EngineRun } from '../support/sync.js';
import { ImapStore } from '../../src/store/imap/ImapStore.js';
import type { SyncOptions } from '../../src/sync/types.js';

/** Dovecot's list without CONDSTORE and QRESYNC: flags can only be read by listing them all. */
const WITHOUT_CONDSTORE =
  'IMAP4rev1 SASL-IR ID ENABLE IDLE NAMESPACE CHILDREN UNSELECT UIDPLUS MULTIAPPEND MOVE ESEARCH LIST-EXTENDED LIST-STATUS SPECIAL-USE LITERAL+';

describe('a full listing that leaves known messages out', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let proxyA: FilterProxy;
  let proxyB: FilterProxy;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot({ capabilities: WITHOUT_CONDSTORE }), startDovecot({ capabilities: WITHOUT_CONDSTORE })]);
    [proxyA, proxyB] = await Promise.all([
      startFilterProxy({ targetHost: a.host, targetPort: a.imapPort, filter: passThrough }),
      startFilterProxy({ targetHost: b.host, targetPort: b.imapPort, filter: passThrough }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([proxyA?.close(), proxyB?.close()]);
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** One engine run on one folder, both sides through their proxies, each dropping what its filter drops. */
  async function syncThrough(
    folder: string,
    statePath: string,
    options: Partial<SyncOptions>,
    filters: { a?: ResponseFilter; b?: ResponseFilter } = {},
  ): Promise<EngineRun> {
    proxyA.setFilter(filters.a ?? passThrough);
    proxyB.setFilter(filters.b ?? passThrough);
    try {
      const specs = { a: plainSpecVia(a, proxyA.port), b: plainSpecVia(b, proxyB.port) };
      return await syncOnce(a, b, statePath, { ...options, filter: { include: [folder], exclude: [] } }, {}, specs);
    } finally {
      proxyA.setFilter(passThrough);
      proxyB.setFilter(passThrough);
    }
  }

  /** Five messages on A, synced to B in `mode`: the state knows them all. */
  async function syncedFolder(folder: string, mode: SyncOptions['mode']): Promise<{ uids: number[]; statePath: string; onA: string[] }> {
    const uids = await seedFolder(a, folder, [1, 2, 3, 4, 5].map((n) => ({ raw: taggedMessage(n, folder) })));
    const statePath = join(tempDir(), `${folder}.state`);
    expect((await syncThrough(folder, statePath, { mode })).failures).toEqual([]);
    const onA = await digests(a, folder);
    expect(await digests(b, folder)).toEqual(onA);
    return { uids, statePath, onA };
  }

  it('the driver: a known UID left out of the flag listing is unread, not vanished; one SEARCH and one FETCH more, none when all came', async () => {
    const uids = await seedFolder(a, 'Driver', [1, 2, 3, 4].map((n) => ({ raw: taggedMessage(n, 'Driver') })));
    const store = new ImapStore('A', plainSpecVia(a, proxyA.port));
    await store.connect();
    try {
      const first = await store.readFolder('Driver', { readOnly: true, base: null, verify: false });
      const options = { readOnly: true, base: { uidValidity: first.status.uidValidity, uidNext: first.status.uidNext, knownUids: uids }, verify: false };
      let before = store.stats().commands;
      await store.readFolder('Driver', options);
      expect(store.stats().commands - before).toBe(2); // SELECT + UID FETCH 1:* (UID FLAGS)

      proxyA.setFilter(dropRowsOf(uids[1]!));
      before = store.stats().commands;
      const read = await store.readFolder('Driver', options);
      expect(store.stats().commands - before).toBe(4); // + UID SEARCH ALL + the envelope FETCH asking again
      expect(read.kind).toBe('full');
      expect(read.unread).toEqual([uids[1]]);
      expect(read.vanished).toEqual([]);
      expect(read.unidentified).toEqual([]);
      expect(read.messages.map((m) => m.uid)).toEqual([uids[0], uids[2], uids[3]]);
    } finally {
      proxyA.setFilter(passThrough);
      await store.close();
    }
  });

  it('mirror: a message missing from A\'s flag listing keeps its copy on B; listed, exit 1; the next run settles', async () => {
    const { uids, statePath, onA } = await syncedFolder('Scan', 'mirror');
    await setFlags(a, 'Scan', [uids[0]!], ['\\Flagged'], []);

    const dry = await syncThrough('Scan', statePath, { mode: 'mirror', dryRun: true }, { a: dropRowsOf(uids[2]!) });
    expect(dry.warnings).toEqual([expect.stringMatching(new RegExp(`^Scan: A returned no flags for UID ${uids[2]};`))]);
    expect(dry.wouldDo.filter((line) => /delete/.test(line))).toEqual([]);

    const dropsBefore = proxyA.dropped();
    const second = await syncThrough('Scan', statePath, { mode: 'mirror' }, { a: dropRowsOf(uids[2]!) });
    expect(proxyA.dropped()).toBeGreaterThan(dropsBefore);
    expect(second.summary.expunged).toBe(0);
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'Scan', uid: uids[2], side: 'A' })]);
    expect(second.failures[0]!.reason).toMatch(/no flags/);
    expect(second.summary.failed).toHaveLength(1); // what the CLI turns into exit 1
    expect(second.summary.flagsUpdated).toBe(1); // the rest of the folder is synced
    expect(await digests(b, 'Scan')).toEqual(onA);

    const third = await syncThrough('Scan', statePath, { mode: 'mirror' });
    expect(third.failures).toEqual([]);
    expect(third.summary.expunged + third.summary.copied).toBe(0);
    expect(await digests(b, 'Scan')).toEqual(onA);
  });

  it('mirror: a message missing from A\'s flag listing but given with its envelope when asked again is no failure', async () => {
    const { uids, statePath, onA } = await syncedFolder('Again', 'mirror');
    await setFlags(a, 'Again', [uids[1]!], ['\\Flagged'], []);
    // Only the row of the flag listing is dropped: the envelope FETCH asked next returns it with its flags.
    const flagsRowOnly: ResponseFilter = (response) => {
      const row = fetchRowOf(response);
      return row?.uid === uids[1] && !/RFC822\.SIZE /i.test(row.head) ? null : response;
    };
    const dropsBefore = proxyA.dropped();
    const second = await syncThrough('Again', statePath, { mode: 'mirror' }, { a: flagsRowOnly });
    expect(proxyA.dropped()).toBeGreaterThan(dropsBefore);
    expect(second.failures).toEqual([]);
    expect(second.summary.expunged).toBe(0);
    expect(second.summary.flagsUpdated).toBe(1);
    expect(await digests(b, 'Again')).toEqual(onA);
    const flagged = (await readFolder(b, 'Again')).filter((m) => m.flags.includes('\\Flagged'));
    expect(flagged.map((m) => m.body.toString())).toEqual([taggedMessage(2, 'Again')]);
  });

  it('mirror --full: a message missing from A\'s envelope listing keeps its copy on B; exit 1; the next run exits 0', async () => {
    const { uids, statePath, onA } = await syncedFolder('Verify', 'mirror');
    const args = [
      'sync', `imap://alice@127.0.0.1:${proxyA.port}`, `imap://alice@127.0.0.1:${proxyB.port}`, '--insecure',
      '--state', statePath, '--include', 'Verify', '--mode', 'mirror', '--full',
    ];
    proxyA.setFilter(dropRowsOf(uids[3]!));
    const second = await runCli([...args, '--json'], passwordEnv(a, b));
    proxyA.setFilter(passThrough);
    expect(second.code, second.stderr).toBe(1);
    const summary = JSON.parse(second.stdout);
    expect(summary.expunged).toBe(0);
    expect(summary.failed).toEqual([expect.objectContaining({ folder: 'Verify', uid: uids[3], side: 'A' })]);
    expect(await digests(b, 'Verify')).toEqual(onA);

    const third = await runCli(args, passwordEnv(a, b));
    expect(third.code, third.stderr + third.stdout).toBe(0);
    expect(await digests(b, 'Verify')).toEqual(onA);
  });

  it('copy: a message missing from B\'s flag listing is not appended again; listed, exit 1; the next run settles', async () => {
    const { statePath, onA } = await syncedFolder('Twice', 'copy');
    const third = (await readFolder(b, 'Twice')).find((m) => m.body.toString() === taggedMessage(3, 'Twice'))!;

    const second = await syncThrough('Twice', statePath, { mode: 'copy' }, { b: dropRowsOf(third.uid) });
    expect(second.summary.copied).toBe(0);
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'Twice', uid: third.uid, side: 'B' })]);
    expect(second.failures[0]!.reason).toMatch(/no flags/);
    expect(second.summary.failed).toHaveLength(1); // what the CLI turns into exit 1
    expect(await digests(b, 'Twice')).toEqual(onA);

    const next = await syncThrough('Twice', statePath, { mode: 'copy' });
    expect(next.failures).toEqual([]);
    expect(next.summary.copied).toBe(0);
    expect(await digests(b, 'Twice')).toEqual(onA);
  });

  for (const how of ['--full', 'a lost state'] as const) {
    it(`mirror, ${how}: a message missing from A's envelope listing keeps its copy on B; listed, exit 1`, async () => {
      const folder = how === '--full' ? 'FullRead' : 'LostState';
      const { uids, statePath, onA } = await syncedFolder(folder, 'mirror');
      if (how === 'a lost state') rmSync(statePath);
      const second = await syncThrough(folder, statePath, { mode: 'mirror', full: how === '--full' }, { a: dropEnvelopeOf(uids[2]!) });
      expect(second.summary.expunged).toBe(0);
      expect(await digests(b, folder)).toEqual(onA);
      expect(second.summary.failed.length + second.summary.deletionsWithheld).toBeGreaterThan(0); // never exit 0
      const next = await syncThrough(folder, statePath, { mode: 'mirror' });
      expect(next.failures).toEqual([]);
      expect(await digests(b, folder)).toEqual(onA);
    });
  }
});
