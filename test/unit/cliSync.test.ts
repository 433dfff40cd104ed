import { describe, expect, it } from 'vitest';
import { ConnectError, InterruptedError } from '../../src/errors.js';
import type { ImapStoreSpec } from '../../src/store/spec.js';
import type { FolderInfo, Store } from '../../src/store/types.js';
import type { SyncObserver } from '../../src/sync/types.js';
import { cliHarness, emptySummary, type FakeEngine } from '../support/cliHarness.js';

const A = 'imaps://alice@a.example';
const B = 'imaps://bob@b.example';
const PASSWORD_A = 'Sup3r-Secret-A';
const PASSWORD_B = 'Sup3r-Secret-B';
const env = { HOME: '/home/test', REPLIMAP_PASSWORD_A: PASSWORD_A, REPLIMAP_PASSWORD_B: PASSWORD_B };
const ESC = /\u001b/;

/**
 * A run with some of everything: two folders, one copy, one failure, one
 * warning. It copies the observer the way the engine does ({ ...observer }).
 */
const busyEngine: FakeEngine = async (job, observer) => {
  const o: SyncObserver = { ...observer, warning: (t) => observer.warning(t) };
  o.phase('connecting');
  o.phase('listing folders');
  o.started({ folders: 2, messages: 5, bytes: 0 });
  o.folderPlanned('INBOX', { appends: 3, appendBytes: 4_100_000, flagUpdates: 1, expunges: 0 });
  o.progress('INBOX', 2, 4_000_000);
  o.warning('B cannot store the keyword $Junk');
  o.failure({ folder: 'INBOX', uid: 42, side: 'A', reason: 'server said NO [LIMIT] message too big' });
  o.progress('INBOX', 0, 0);
  o.folderFinished({ folder: 'INBOX', skipped: false, copied: 2, bytes: 4_000_000, transferred: 0, flagsUpdated: 1, expunged: 0, failed: 1 });
  o.folderFinished({ folder: 'Sent', skipped: true, copied: 0, bytes: 0, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0 });
  return emptySummary({
    mode: job.options.mode,
    folders: 2,
    foldersSkipped: 1,
    copied: 2,
    bytes: 4_000_000,
    flagsUpdated: 1,
    skipped: 12,
    failed: [{ folder: 'INBOX', uid: 42, side: 'A', reason: 'server said NO [LIMIT] message too big' }],
    warnings: ['B cannot store the keyword $Junk'],
  });
};

const quietEngine: FakeEngine = async (job, o) => {
  o.phase('connecting');
  o.started({ folders: 1, messages: 1, bytes: 0 });
  o.folderPlanned('INBOX', { appends: 1, appendBytes: 100, flagUpdates: 0, expunges: 0 });
  o.progress('INBOX', 1, 100);
  o.folderFinished({ folder: 'INBOX', skipped: false, copied: 1, bytes: 100, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0 });
  return emptySummary({ mode: job.options.mode, folders: 1, copied: 1, bytes: 100 });
};

describe('plain output (not a terminal)', () => {
  it('writes timestamped lines without escape codes, and the summary on stdout', async () => {
    const h = cliHarness({ env, engine: busyEngine });
    expect(await h.run('sync', A, B)).toBe(1);
    expect(h.stderr.text).not.toMatch(ESC);
    expect(h.stdout.text).not.toMatch(ESC);
    const lines = h.stderr.text.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^2026-11-23T19:20:01Z replimap: /);
    expect(lines).toContain('2026-11-23T19:20:01Z replimap: INBOX: copied 2 messages (4.0 MB), updated flags of 1 message, 1 failed');
    expect(lines).toContain('2026-11-23T19:20:01Z replimap: warning: B cannot store the keyword $Junk');
    expect(lines).toContain('2026-11-23T19:20:01Z replimap: failed: INBOX: UID 42 on A: server said NO [LIMIT] message too big');
    expect(h.stderr.text).not.toContain('Sent'); // unchanged folders only with -v
    expect(h.stdout.text).toMatch(/^replimap copy: done in 1\.2 s\n/);
    expect(h.stdout.text).toMatch(/copied: +2 messages \(4\.0 MB\)/);
    expect(h.stdout.text).toMatch(/failed: +1 message\n +INBOX: UID 42 on A: server said NO/);
    expect(h.stdout.text).not.toMatch(/store A:/);
  });

  it('-v adds details; --stats adds commands and bytes per store', async () => {
    const h = cliHarness({ env, engine: busyEngine });
    await h.run('sync', '-v', '--stats', A, B);
    expect(h.stderr.text).toContain('replimap: Sent: unchanged');
    expect(h.stderr.text).toMatch(/replimap: state file: \/home\/test\/\.local\/state\/replimap\//);
    expect(h.stdout.text).toMatch(/store A: +10 commands, 2\.0 kB in, 300 B out/);
    expect(h.stdout.text).toMatch(/store B: +7 commands, 500 B in, 4\.1 MB out/);
  });

  it('--stats tells the wire bytes from the uncompressed ones, and says whether --bwlimit held', async () => {
    const compressed = {
      a: { commands: 10, bytesIn: 2_000_000, bytesOut: 300, wireIn: 600_000, wireOut: 200, compressed: 2, connections: 2 },
      b: { commands: 7, bytesIn: 500, bytesOut: 100, wireIn: 500, wireOut: 100, compressed: 0, connections: 1 },
      bandwidth: { rate: 200_000, burst: 25_000, bytes: 600_800, waitedMs: 2_900, peakExcess: 25_000 },
    };
    const h = cliHarness({ env, engine: async () => emptySummary({ stats: compressed }) });
    await h.run('sync', '--stats', A, B);
    expect(h.stdout.text).toMatch(
      /store A: +10 commands, 600 kB in, 200 B out on the wire; 2\.0 MB in, 300 B out before COMPRESS \(2 of 2 connections compressed\)/,
    );
    expect(h.stdout.text).toMatch(/store B: +7 commands, 500 B in, 100 B out on the wire \(uncompressed\)/);
    expect(h.stdout.text).toMatch(/bwlimit: +200 kB\/s: 601 kB on the wire, 2\.9 s waited in all, limit held/);
  });

  it('warns about --insecure and URL passwords, never printing a password', async () => {
    const h = cliHarness({ env: { HOME: '/h', REPLIMAP_PASSWORD_B: PASSWORD_B }, engine: quietEngine });
    expect(await h.run('sync', '--insecure', `imaps://alice:${PASSWORD_A}@a.example`, B)).toBe(0);
    expect(h.stderr.text).toContain('warning: A: password given in the URL; prefer REPLIMAP_PASSWORD_A or --password-a-file');
    expect(h.stderr.text).toContain('warning: --insecure: TLS certificates are not verified');
    expect((h.jobs[0]!.a as ImapStoreSpec).password).toBe(PASSWORD_A);
    expect(h.jobs[0]!.a.displayUrl).toBe('imaps://alice@a.example:993');
    expect(h.stderr.text + h.stdout.text).not.toContain(PASSWORD_A);
  });
});

describe('--json', () => {
  it('prints one JSON summary on stdout and only failures on stderr', async () => {
    const h = cliHarness({ env: { ...env, REPLIMAP_PASSWORD_A: undefined }, engine: busyEngine });
    expect(await h.run('sync', '--json', `imaps://alice:${PASSWORD_A}@a.example`, B)).toBe(1);
    const json = JSON.parse(h.stdout.text) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: false,
      exitCode: 1,
      a: 'imaps://alice@a.example:993',
      b: 'imaps://bob@b.example:993',
      mode: 'copy',
      copied: 2,
      bytes: 4_000_000,
      failed: [{ folder: 'INBOX', uid: 42, side: 'A', reason: 'server said NO [LIMIT] message too big' }],
      warnings: [
        'A: password given in the URL; prefer REPLIMAP_PASSWORD_A or --password-a-file',
        'B cannot store the keyword $Junk',
      ],
      stats: { a: { commands: 10, bytesIn: 2000, bytesOut: 300 } },
    });
    expect(json).not.toHaveProperty('plan');
    expect(h.stderr.text.trim().split('\n')).toEqual([
      '2026-11-23T19:20:01Z replimap: failed: INBOX: UID 42 on A: server said NO [LIMIT] message too big',
    ]);
    expect(h.stdout.text + h.stderr.text).not.toContain(PASSWORD_A);
    expect(h.stdout.text + h.stderr.text).not.toContain(PASSWORD_B);
  });

  it('reports a fatal error as JSON too', async () => {
    const h = cliHarness({
      env,
      engine: async () => {
        throw new ConnectError('A', 'login failed: authentication failed');
      },
    });
    expect(await h.run('sync', '--json', A, B)).toBe(3);
    expect(JSON.parse(h.stdout.text)).toEqual({ ok: false, exitCode: 3, error: 'A: login failed: authentication failed' });
    expect(h.stderr.text).toBe('replimap: A: login failed: authentication failed\n');
  });
});

describe('-q', () => {
  it('prints nothing at all when all went well', async () => {
    const h = cliHarness({ env, engine: quietEngine });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(h.stdout.text).toBe('');
    expect(h.stderr.text).toBe('');
  });

  it('prints failures and the summary when something failed', async () => {
    const h = cliHarness({ env, engine: busyEngine });
    expect(await h.run('sync', '-q', A, B)).toBe(1);
    expect(h.stderr.text.trim().split('\n')).toEqual([
      '2026-11-23T19:20:01Z replimap: failed: INBOX: UID 42 on A: server said NO [LIMIT] message too big',
    ]);
    expect(h.stdout.text).toMatch(/^replimap copy: done/);
  });
});

describe('dry run', () => {
  const dryEngine: FakeEngine = async (job, o) => {
    o.started({ folders: 1, messages: 3, bytes: 0 });
    o.wouldDo('create folder Archive on B');
    o.wouldDo('INBOX: copy 3 messages (300 bytes) to B INBOX');
    o.folderFinished({ folder: 'INBOX', skipped: false, copied: 3, bytes: 300, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0 });
    return emptySummary({ mode: job.options.mode, dryRun: true, folders: 1, copied: 3, bytes: 300, foldersCreated: 1 });
  };

  it('prints each planned action on stdout and says nothing was changed', async () => {
    const h = cliHarness({ env, engine: dryEngine });
    expect(await h.run('sync', '--dry-run', A, B)).toBe(0);
    expect(h.jobs[0]!.options.dryRun).toBe(true);
    const out = h.stdout.text.split('\n');
    expect(out.slice(0, 2)).toEqual(['create folder Archive on B', 'INBOX: copy 3 messages (300 bytes) to B INBOX']);
    expect(h.stdout.text).toContain('replimap copy (dry run: nothing was changed): done');
    expect(h.stdout.text).toMatch(/would copy: +3 messages/);
    expect(h.stdout.text).toMatch(/1 to create/);
    expect(h.stderr.text).not.toMatch(/INBOX: copied/);
  });

  it('puts the plan in the JSON', async () => {
    const h = cliHarness({ env, engine: dryEngine });
    await h.run('sync', '-n', '--json', A, B);
    expect(JSON.parse(h.stdout.text)).toMatchObject({
      dryRun: true,
      plan: ['create folder Archive on B', 'INBOX: copy 3 messages (300 bytes) to B INBOX'],
    });
  });
});

describe('exit codes from the engine', () => {
  it('5 when mirror withheld deletions, and says why', async () => {
    const withheld = [
      { what: 'messages' as const, folder: 'Archive', count: 7, heldOnB: 10, reason: '"Archive": mirror would delete 7 of the 10 messages B holds there' },
      { what: 'folders' as const, count: 3, heldOnB: 4, reason: 'mirror would delete 3 of the 4 folders B has' },
    ];
    const h = cliHarness({ env, engine: async () => emptySummary({ mode: 'mirror', deletionsWithheld: 7, withheld }) });
    expect(await h.run('sync', '--mode', 'mirror', A, B)).toBe(5);
    expect(h.stdout.text).toMatch(/withheld: +7 messages, 3 folders not deleted on B \(--force deletes them\)/);
    expect(h.stdout.text).toContain('\n    "Archive": mirror would delete 7 of the 10 messages B holds there\n');
    expect(h.stdout.text).toContain('\n    mirror would delete 3 of the 4 folders B has\n');

    // Only folders withheld: still 5.
    const folders = cliHarness({ env, engine: async () => emptySummary({ mode: 'mirror', withheld: [withheld[1]!] }) });
    expect(await folders.run('sync', '--mode', 'mirror', '--json', A, B)).toBe(5);
    expect(JSON.parse(folders.stdout.text)).toMatchObject({ ok: false, exitCode: 5, deletionsWithheld: 0, withheld: [withheld[1]] });
  });

  it('a ReplimapError: one line and its own code; stack only with -v', async () => {
    const engine: FakeEngine = async () => {
      throw new ConnectError('B', 'cannot connect to b.example:993: connection refused', { cause: new Error('ECONNREFUSED') });
    };
    const h = cliHarness({ env, engine });
    expect(await h.run('sync', A, B)).toBe(3);
    expect(h.stderr.text).toBe('replimap: B: cannot connect to b.example:993: connection refused\n');

    const v = cliHarness({ env, engine });
    expect(await v.run('sync', '-v', A, B)).toBe(3);
    expect(v.stderr.text).toMatch(/\n\s+at /);
    expect(v.stderr.text).toContain('caused by: Error: ECONNREFUSED');
  });

  it('anything else: internal error, exit 1, no stack without -v', async () => {
    const h = cliHarness({
      env,
      engine: async () => {
        throw new TypeError('x is undefined');
      },
    });
    expect(await h.run('sync', A, B)).toBe(1);
    expect(h.stderr.text).toContain('replimap: internal error: x is undefined\n');
    expect(h.stderr.text).not.toMatch(/\n\s+at /);
  });
});

describe('signals', () => {
  /** An engine that works until aborted, then saves and throws as the real one does. */
  const waitingEngine: FakeEngine = async (_job, o, signal, h) => {
    o.started({ folders: 1, messages: 10, bytes: 0 });
    h.signals.emit('SIGINT');
    expect(signal?.aborted).toBe(true);
    throw new InterruptedError(signal?.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  };

  it('SIGINT aborts the run: exit 130, listeners removed', async () => {
    const h = cliHarness({ env, engine: waitingEngine });
    expect(await h.run('sync', A, B)).toBe(130);
    expect(h.stderr.text).toContain('replimap: SIGINT: stopping at the next safe point and saving the state');
    expect(h.stderr.text).toContain('replimap: stopped by SIGINT; state saved\n');
    expect(h.exits).toEqual([]);
    expect(h.signals.listenerCount('SIGINT')).toBe(0);
    expect(h.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('SIGTERM gives the reason SIGTERM and exit 143, even if the engine returns', async () => {
    const h = cliHarness({
      env,
      engine: async (_job, _o, signal, harness) => {
        harness.signals.emit('SIGTERM');
        expect(signal?.reason).toBe('SIGTERM');
        return emptySummary();
      },
    });
    expect(await h.run('sync', A, B)).toBe(143);
  });

  it('a second signal exits at once', async () => {
    const h = cliHarness({
      env,
      engine: async (_job, _o, _signal, harness) => {
        harness.signals.emit('SIGINT');
        harness.signals.emit('SIGINT');
        expect(harness.exits).toEqual([130]);
        return emptySummary();
      },
    });
    await h.run('sync', '-q', A, B);
    expect(h.stderr.text).toContain('replimap: SIGINT again: exiting now');
  });
});

describe('terminal output', () => {
  it('runs spinner and bars on a TTY and leaves a summary', async () => {
    const h = cliHarness({ env: { ...env, TERM: 'xterm' }, engine: busyEngine, stderrIsTTY: true });
    expect(await h.run('sync', A, B)).toBe(1);
    expect(h.stderr.text).toContain('warning: B cannot store the keyword $Junk');
    expect(h.stderr.text).toContain('failed: INBOX: UID 42 on A');
    expect(h.stderr.text).not.toMatch(/^2026-/m); // no timestamps for people
    expect(h.stdout.text).toMatch(/^replimap copy: done/);
  });
});

describe('replimap list', () => {
  const folders: FolderInfo[] = [
    { name: 'Sent', delimiter: '/', specialUse: '\\Sent', subscribed: true, selectable: true, status: { uidValidity: 1n, uidNext: 5, messages: 4 } },
    { name: 'Archive', delimiter: '/', subscribed: false, selectable: false },
    { name: 'INBOX', delimiter: '/', subscribed: true, selectable: true, status: { uidValidity: 9n, uidNext: 200, highestModseq: 2n ** 62n, messages: 120 } },
  ];
  const calls: string[] = [];
  const fakeStore = (): Store =>
    ({
      label: 'A',
      displayUrl: 'imaps://alice@a.example:993',
      connect: async () => void calls.push('connect'),
      close: async () => void calls.push('close'),
      listFolders: async (o: { status: boolean }) => {
        calls.push(`list status=${o.status}`);
        return folders;
      },
      folderSize: async (name: string) => (name === 'INBOX' ? 4_100_000 : 23_000),
    }) as unknown as Store;

  it('prints a table, INBOX first, with totals', async () => {
    calls.length = 0;
    const h = cliHarness({ env, store: fakeStore });
    expect(await h.run('list', A)).toBe(0);
    expect(calls).toEqual(['connect', 'list status=true', 'close']);
    expect(h.stores[0]!.spec).toMatchObject({ host: 'a.example', password: PASSWORD_A });
    expect(h.stdout.text).toBe(
      [
        'FOLDER   SPECIAL-USE  SUBSCRIBED  MESSAGES     SIZE',
        'INBOX                 yes              120   4.1 MB',
        'Archive               no                 -        -',
        'Sent     \\Sent        yes                4  23.0 kB',
        '3 folders, 124 messages, 4.1 MB',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON without bigints', async () => {
    const h = cliHarness({ env, store: fakeStore });
    expect(await h.run('list', '--json', A)).toBe(0);
    const json = JSON.parse(h.stdout.text) as { store: string; folders: unknown[] };
    expect(json.store).toBe('imaps://alice@a.example:993');
    expect(json.folders[0]).toEqual({
      name: 'INBOX', delimiter: '/', specialUse: null, subscribed: true, selectable: true, messages: 120, bytes: 4_100_000,
    });
  });

  it('closes the store when listing fails', async () => {
    calls.length = 0;
    const failing = (): Store =>
      ({
        ...fakeStore(),
        listFolders: async () => {
          throw new ConnectError('A', 'connection lost');
        },
      }) as unknown as Store;
    const h = cliHarness({ env, store: failing });
    expect(await h.run('list', A)).toBe(3);
    expect(calls).toEqual(['connect', 'close']);
  });
});
