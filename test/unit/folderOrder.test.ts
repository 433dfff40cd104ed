// The folder order of issue 9 §1 (folderOrder.ts) and --max-time's durations.

import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { priorityOrder, type OrderedFolder } from '../../src/sync/folderOrder.js';

const order = (folders: OrderedFolder[], priority: string[] = []): string[] => priorityOrder(folders, (f) => f, priority).map((f) => f.name);
const f = (name: string, recency = 0, specialUse?: OrderedFolder['specialUse']): OrderedFolder => ({ name, recency, ...(specialUse && { specialUse }) });

describe('priorityOrder', () => {
  it('INBOX, then \\Sent, then \\Drafts, then the rest most recently changed first', () => {
    const folders = [f('Old', 1), f('Drafts', 0, '\\Drafts'), f('Busy', 50), f('Sent', 0, '\\Sent'), f('INBOX', 0), f('Trash', 99, '\\Trash')];
    expect(order(folders)).toEqual(['INBOX', 'Sent', 'Drafts', 'Trash', 'Busy', 'Old']);
  });

  it('--priority globs come first, in the order given, whatever their recency; a folder takes its first matching glob', () => {
    const folders = [f('INBOX', 9), f('Work/a', 1), f('Work/b', 5), f('Lists/dev', 0), f('Sent', 3, '\\Sent'), f('Other', 100)];
    expect(order(folders, ['Lists/**', 'Work/*', 'Lists/dev'])).toEqual(['Lists/dev', 'Work/b', 'Work/a', 'INBOX', 'Sent', 'Other']);
  });

  it('globs follow --include: * does not cross /, ** does (and matches the parent itself), INBOX matched as written', () => {
    const folders = [f('INBOX'), f('A'), f('A/b'), f('A/b/c')];
    expect(order(folders, ['A/*'])).toEqual(['A/b', 'INBOX', 'A', 'A/b/c']);
    expect(order(folders, ['A/**'])).toEqual(['A', 'A/b', 'A/b/c', 'INBOX']);
    expect(order(folders, ['inbox'])).toEqual(['INBOX', 'A', 'A/b', 'A/b/c']);
  });

  it('ties, and unknown recency (NaN: nothing to copy), keep INBOX-first name order, unknown last', () => {
    const folders = [f('b', 2), f('a', 2), f('z', NaN), f('c', -Infinity), f('d', 3)];
    expect(order(folders)).toEqual(['d', 'a', 'b', 'c', 'z']);
  });

  it('returns a new array and leaves its input alone', () => {
    const folders = [f('b'), f('INBOX')];
    const ordered = priorityOrder(folders, (x) => x, []);
    expect(ordered.map((x) => x.name)).toEqual(['INBOX', 'b']);
    expect(folders.map((x) => x.name)).toEqual(['b', 'INBOX']);
  });
});

describe('parseDuration', () => {
  it('reads seconds, minutes, hours, days and their sums', () => {
    expect(['90s', '10m', '1h', '1h30m', '500ms', '0s', '2d', ' 5m '].map(parseDuration)).toEqual([90_000, 600_000, 3_600_000, 5_400_000, 500, 0, 172_800_000, 300_000]);
  });

  it('refuses what is not a duration', () => {
    expect(['', '10', 'm', '-5m', '1.5h', '10 m', '5x', 'h1'].map(parseDuration)).toEqual(Array(8).fill(undefined));
  });
});
