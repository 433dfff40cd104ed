import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, plural, timestamp } from '../../src/cli/output/format.js';
import { PlainReporter } from '../../src/cli/output/plainReporter.js';
import { exitCodeForSummary, formatSummary, summaryToJson, toJsonText } from '../../src/cli/output/summary.js';
import { folderResultLine } from '../../src/cli/output/folderLine.js';
import { estimateRemainingMs } from '../../src/cli/output/ttyReporter.js';
import { RateMeter, WorkTotals } from '../../src/cli/output/workTotals.js';
import { CaptureStream, emptySummary } from '../support/cliHarness.js';

describe('format', () => {
  it('bytes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(4_100_000)).toBe('4.1 MB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(999_960)).toBe('1.0 MB');
    expect(formatBytes(2.5e12)).toBe('2.5 TB');
  });
  it('durations', () => {
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_725_000)).toBe('1 h 02 min');
  });
  it('plurals and timestamps', () => {
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(0, 'message')).toBe('0 messages');
    expect(timestamp(new Date('2026-11-23T19:20:01.999Z'))).toBe('2026-11-23T19:20:01Z');
  });
});

describe('WorkTotals', () => {
  const work = (appends: number, appendBytes: number) => ({ appends, appendBytes, flagUpdates: 0, expunges: 0 });

  it('keeps the estimate until every folder is planned, then the exact sum', () => {
    const t = new WorkTotals();
    t.start({ folders: 3, messages: 100, bytes: 0 });
    expect(t.total).toEqual({ messages: 100, bytes: 0 });
    t.folderPlanned('INBOX', work(0, 0));
    expect(t.total.messages).toBe(100);
    t.folderPlanned('Sent', work(30, 3000));
    expect(t.total).toEqual({ messages: 100, bytes: 3000 });
    t.folderPlanned('Archive', work(20, 2000));
    expect(t.total).toEqual({ messages: 50, bytes: 5000 });
  });

  it('grows past the estimate when planning finds more', () => {
    const t = new WorkTotals();
    t.start({ folders: 2, messages: 10, bytes: 0 });
    t.folderPlanned('INBOX', work(25, 2500));
    expect(t.total.messages).toBe(25);
  });

  it('replaces a folder planned twice and never reports less than done', () => {
    const t = new WorkTotals();
    t.start({ folders: 1, messages: 0, bytes: 0 });
    t.folderPlanned('INBOX', work(10, 1000));
    t.folderPlanned('INBOX', work(4, 400));
    expect(t.total).toEqual({ messages: 4, bytes: 400 });
    t.progress('INBOX', 6, 900);
    expect(t.total).toEqual({ messages: 6, bytes: 900 });
    expect(t.folderDone('INBOX')).toEqual({ messages: 6, bytes: 900 });
  });
});

describe('RateMeter and ETA', () => {
  it('measures over a sliding window', () => {
    const r = new RateMeter(0, 10_000);
    r.add(1000, 1000);
    expect(r.rate(2000)).toBe(500); // 1000 bytes in 2 s since start
    for (let t = 2000; t <= 30_000; t += 1000) r.add(t, 5000);
    expect(r.rate(30_000)).toBe(5000);
  });
  it('ETA by bytes when known, else by messages', () => {
    expect(estimateRemainingMs({ messages: 5, bytes: 1000 }, { messages: 10, bytes: 3000 }, 100, 10_000)).toBe(20_000);
    expect(estimateRemainingMs({ messages: 5, bytes: 0 }, { messages: 10, bytes: 0 }, 0, 10_000)).toBe(10_000);
    expect(estimateRemainingMs({ messages: 0, bytes: 0 }, { messages: 10, bytes: 0 }, 0, 10_000)).toBeUndefined();
  });
});

describe('summary', () => {
  it('lists counts, each failure, and mirror rows only in mirror mode', () => {
    const s = emptySummary({
      folders: 5,
      foldersSkipped: 3,
      foldersCreated: 1,
      copied: 1,
      bytes: 2048,
      failed: [
        { folder: 'INBOX', uid: 7, side: 'A', reason: 'NO too big' },
        { folder: 'Lists/x', uid: 0, side: 'B', reason: 'SELECT failed' },
      ],
    });
    const lines = formatSummary(s, { stats: false });
    expect(lines[0]).toBe('replimap copy: done in 1.2 s');
    expect(lines).toContain('  folders:        5 checked, 3 unchanged, 1 created');
    expect(lines).toContain('  copied:         1 message (2.0 kB)');
    expect(lines).toContain('  failed:         1 message, 1 folder');
    expect(formatSummary({ ...s, failed: s.failed.slice(1) }, { stats: false })).toContain('  failed:         1 folder');
    expect(lines).toContain('    INBOX: UID 7 on A: NO too big');
    expect(lines).toContain('    Lists/x: SELECT failed');
    expect(lines.join('\n')).not.toContain('expunged');
    const mirror = formatSummary({ ...s, mode: 'mirror', expunged: 4, foldersDeleted: 2 }, { stats: false });
    expect(mirror).toContain('  expunged:       4 messages');
    expect(mirror).toContain('  folders:        5 checked, 3 unchanged, 1 created, 2 deleted');
  });

  it('two-way: copies, flag changes and expunges counted per side, in the rows and in the JSON', () => {
    const bySide = {
      a: { copied: 2, bytes: 1024, flagsUpdated: 1, expunged: 0 },
      b: { copied: 1, bytes: 1024, flagsUpdated: 0, expunged: 3 },
    };
    const s = emptySummary({ mode: 'two-way', copied: 3, bytes: 2048, flagsUpdated: 1, expunged: 3, skipped: 7, bySide });
    const lines = formatSummary(s, { stats: false });
    expect(lines[0]).toBe('replimap two-way: done in 1.2 s');
    expect(lines).toContain('  copied:         3 messages (2.0 kB): 2 to A, 1 to B');
    expect(lines).toContain('  flags updated:  1 message: 1 on A, 0 on B');
    expect(lines).toContain('  expunged:       3 messages: 0 on A, 3 on B');
    expect(lines).toContain('  already synced: 7 messages');
    const withheld = formatSummary({ ...s, deletionsWithheld: 12 }, { stats: false });
    expect(withheld).toContain('  withheld:       12 messages not deleted on A or B (--force deletes them)');
    const json = summaryToJson(s, { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect(json.bySide).toEqual(bySide);
    // Copy and mirror keep their rows as they were.
    expect(formatSummary({ ...s, mode: 'copy' }, { stats: false })).toContain('  copied:         3 messages (2.0 kB)');
  });

  it('deferred: one row with count and bytes when the filter held messages back, the JSON always counts them, exit 0', () => {
    const s = emptySummary({ copied: 3, bytes: 2048, deferred: 2, deferredBytes: 3_000_000 });
    expect(formatSummary(s, { stats: false })).toContain('  deferred:       2 messages (3.0 MB) held back by the message filter (replimap status lists them)');
    expect(formatSummary({ ...s, dryRun: true }, { stats: false }).join('\n')).toContain('would defer:    2 messages');
    expect(formatSummary(emptySummary(), { stats: false }).join('\n')).not.toContain('defer');
    const json = summaryToJson(s, { exitCode: exitCodeForSummary(s), a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect([json.ok, json.deferred, json.deferredBytes]).toEqual([true, 2, 3_000_000]);
  });

  it('--max-time: a run that left work says so in its first line and a `left` row; the JSON has `left` (zeros when nothing is left); exit 0', () => {
    const left = { messages: 290, bytes: 3_000_000, folders: 3, deletions: 2, folderDeletions: 1 };
    const lines = formatSummary(emptySummary({ copied: 200, left }), { stats: false });
    expect(lines[0]).toMatch(/^replimap copy: stopped by --max-time, NOT all done, in /);
    expect(lines).toContain('  left:           290 messages (3.0 MB), 2 deletions, 1 folder deletion in 3 folders not done: --max-time spent; the next run continues');
    expect(formatSummary(emptySummary(), { stats: false }).join('\n')).not.toMatch(/left:|NOT all done/);
    expect(exitCodeForSummary(emptySummary({ left }))).toBe(0);
    const json = summaryToJson(emptySummary({ left }), { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect([json.ok, json.left]).toEqual([true, left]);
    const none = summaryToJson(emptySummary(), { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect(none.left).toEqual({ messages: 0, bytes: 0, folders: 0, deletions: 0, folderDeletions: 0 });
  });

  it('rollbacks: one row naming folder and side, and in the JSON', () => {
    const rollbacks = [{ folder: 'INBOX', side: 'B' as const }, { folder: 'Work', side: 'A' as const }];
    const lines = formatSummary(emptySummary({ mode: 'mirror', rollbacks }), { stats: false });
    expect(lines).toContain('  rolled back:    INBOX (B), Work (A)');
    expect(formatSummary(emptySummary(), { stats: false }).join('\n')).not.toContain('rolled back');
    const json = summaryToJson(emptySummary({ rollbacks }), { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect(json.rollbacks).toEqual(rollbacks);
  });

  it('messages given new UIDs (found at reused UIDs): a row with one line each, in the JSON, and in the folder line', () => {
    const reassigned = [{ folder: 'INBOX', side: 'B' as const, uid: 51, newUid: 71 }, { folder: 'Work', side: 'A' as const, uid: 3 }];
    const lines = formatSummary(emptySummary({ mode: 'two-way', reassigned }), { stats: false });
    expect(lines).toEqual(expect.arrayContaining(['  new UIDs:       2 messages found at a reused UID', '    INBOX: B UID 51 → 71', '    Work: A UID 3']));
    expect(formatSummary(emptySummary(), { stats: false }).join('\n')).not.toContain('new UIDs');
    expect(formatSummary(emptySummary({ dryRun: true, reassigned }), { stats: false })).toContain('  would renumber: 2 messages found at a reused UID');
    const json = summaryToJson(emptySummary({ reassigned }), { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect(json.reassigned).toEqual(reassigned);
    expect(folderResultLine({ folder: 'INBOX', skipped: false, copied: 0, bytes: 0, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0, reassigned: [reassigned[0]!] }))
      .toBe('INBOX: gave 1 message at a reused UID a new UID');
  });

  it('server-side moves and copies: one row (none when there were none), in the JSON, and in the folder line', () => {
    const lines = formatSummary(emptySummary({ mode: 'mirror', transferred: 3 }), { stats: false });
    expect(lines).toContain('  server-side:    3 messages moved or copied from another folder (no body sent)');
    expect(formatSummary(emptySummary(), { stats: false }).join('\n')).not.toContain('server-side');
    expect(formatSummary(emptySummary({ dryRun: true, transferred: 1 }), { stats: false })).toContain('  server-side:    1 message would be moved or copied from another folder (no body sent)');
    const json = summaryToJson(emptySummary({ transferred: 3 }), { exitCode: 0, a: 'a', b: 'b', statePath: '/s', warnings: [], plan: [] });
    expect(json.transferred).toBe(3);
    const folder = { folder: 'Archive', skipped: false, copied: 0, bytes: 0, transferred: 2, flagsUpdated: 0, expunged: 0, failed: 0 };
    expect(folderResultLine(folder)).toBe('Archive: moved/copied 2 messages on the server');
  });

  it('exit codes: guard over failures over success', () => {
    expect(exitCodeForSummary(emptySummary())).toBe(0);
    const failed = [{ folder: 'INBOX', uid: 1, side: 'A' as const, reason: 'x' }];
    expect(exitCodeForSummary(emptySummary({ failed }))).toBe(1);
    expect(exitCodeForSummary(emptySummary({ failed, deletionsWithheld: 1 }))).toBe(5);
  });

  it('JSON has plain numbers only and survives stray bigints', () => {
    const json = summaryToJson(emptySummary(), { exitCode: 0, a: 'imaps://a@h:993', b: 'imaps://b@h:993', statePath: '/s', warnings: [], plan: [] });
    expect(json.ok).toBe(true);
    expect(toJsonText({ ...json, extra: 2n ** 63n })).toContain('"extra": "9223372036854775808"');
  });
});

describe('PlainReporter', () => {
  it('writes timestamped lines, no escape codes, and a progress line every minute; phases only with -v', () => {
    let now = Date.parse('2026-11-23T19:20:01Z');
    const stderr = new CaptureStream(false);
    const stdout = new CaptureStream(false);
    const r = new PlainReporter({ stdout, stderr, verbose: false, dryRun: false, now: () => new Date(now) });
    r.phase('connecting');
    r.started({ folders: 2, messages: 10, bytes: 0 });
    r.folderPlanned('INBOX', { appends: 10, appendBytes: 10_000_000, flagUpdates: 0, expunges: 0 });
    now += 30_000;
    r.progress('INBOX', 4, 4_000_000);
    now += 31_000;
    r.progress('INBOX', 2, 2_000_000);
    r.verbose('not shown');
    r.folderFinished({ folder: 'INBOX', skipped: false, copied: 6, bytes: 6_000_000, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0 });
    r.close();
    expect(stderr.text.split('\n').filter(Boolean)).toEqual([
      '2026-11-23T19:21:02Z replimap: progress: 6 of 10 messages, 6.0 MB of 10.0 MB, 64.5 kB/s',
      '2026-11-23T19:21:02Z replimap: INBOX: copied 6 messages (6.0 MB)',
    ]);
    expect(stderr.text).not.toMatch(/\u001b/);
    expect(stdout.text).toBe('');

    const verboseErr = new CaptureStream(false);
    const v = new PlainReporter({ stdout, stderr: verboseErr, verbose: true, dryRun: false, now: () => new Date(now) });
    v.phase('connecting');
    v.started({ folders: 2, messages: 10, bytes: 0 });
    expect(verboseErr.text).toBe(
      '2026-11-23T19:21:02Z replimap: connecting\n2026-11-23T19:21:02Z replimap: 2 folders to sync, about 10 messages to copy\n',
    );
  });
});
