import { describe, expect, it } from 'vitest';
import {
  escapeNamePart,
  translateFolderName,
  translateFolderNameBack,
  unescapeNamePart,
  untranslatableReason,
  type NameSpelling,
} from '../../src/sync/folderName.js';

const slash: NameSpelling = { prefix: '', delimiter: '/' };
const dot: NameSpelling = { prefix: '', delimiter: '.' };
const dotInbox: NameSpelling = { prefix: 'INBOX.', delimiter: '.' };
const slashInbox: NameSpelling = { prefix: 'INBOX/', delimiter: '/' };
const flat: NameSpelling = { prefix: '', delimiter: null };

describe('escapeNamePart / unescapeNamePart', () => {
  const cases: [part: string, separator: string, escaped: string][] = [
    ['plain', '.', 'plain'],
    ['dot.name', '.', 'dot\\2ename'],
    ['a.b.c', '.', 'a\\2eb\\2ec'],
    ['.leading', '.', '\\2eleading'],
    ['trailing.', '.', 'trailing\\2e'],
    ['a/b', '/', 'a\\2fb'],
    ['back\\slash', '.', 'back\\slash'], // '\' not followed by two hex digits: left alone
    ['end\\', '.', 'end\\'],
    ['\\2e literally', '.', '\\5c2e literally'],
    ['\\5c', '.', '\\5c5c'],
    ['\\2E upper', '.', '\\5c2E upper'],
    ['mix\\2e.x', '.', 'mix\\5c2e\\2ex'],
    ['Entwürfe.alt & neu', '.', 'Entwürfe\\2ealt & neu'],
  ];
  it.each(cases)('%s with separator %s ↔ %s', (part, separator, escaped) => {
    expect(escapeNamePart(part, separator)).toBe(escaped);
    expect(unescapeNamePart(escaped)).toBe(part);
    expect(escapeNamePart(part, separator).includes(separator)).toBe(false);
  });
});

describe('translateFolderName and back', () => {
  const cases: [name: string, from: NameSpelling, to: NameSpelling, onTarget: string][] = [
    ['INBOX', slash, dot, 'INBOX'],
    ['Archive/2019', slash, dot, 'Archive.2019'],
    ['dot.name', slash, dot, 'dot\\2ename'],
    ['dot_name', slash, dot, 'dot_name'],
    ['v1.2/notes.old/x', slash, dot, 'v1\\2e2.notes\\2eold.x'],
    ['a\\2eb', slash, dot, 'a\\5c2eb'],
    ['back\\slash.x', slash, dot, 'back\\slash\\2ex'],
    ['dot.name', slash, dotInbox, 'INBOX.dot\\2ename'],
    ['INBOX.v1/2', dotInbox, slash, 'v1\\2f2'],
    ['INBOX.Archive.2019', dotInbox, slash, 'Archive/2019'],
    ['INBOX.a/b.c', dotInbox, slashInbox, 'INBOX/a\\2fb/c'],
    // Same separator on both sides: nothing to escape, names as they always were.
    ['a\\2eb/c.d', slash, slash, 'a\\2eb/c.d'],
    ['INBOX.a\\2fb', dotInbox, dot, 'a\\2fb'],
    // Flat stores.
    ['a.b', flat, dot, 'a\\2eb'],
    ['a/b.c', slash, flat, 'a/b.c'],
  ];
  it.each(cases)('%s → %s', (name, from, to, onTarget) => {
    expect(translateFolderName(name, from, to)).toBe(onTarget);
    expect(translateFolderNameBack(onTarget, to, from)).toBe(name);
  });

  it('keeps INBOX as INBOX whatever its case, and leaves names outside the prefix unstripped', () => {
    expect(translateFolderName('Inbox', slash, dotInbox)).toBe('INBOX');
    expect(translateFolderNameBack('inbox', dotInbox, slash)).toBe('INBOX');
    expect(translateFolderName('Shared.x', dotInbox, slash)).toBe('Shared/x');
  });

  it('gives distinct names to names that used to collide', () => {
    const names = ['dot.name', 'dot_name', 'dot\\2ename', 'dot\\5c2ename', 'dot/name'];
    const targets = names.map((n) => translateFolderName(n, slash, dot));
    expect(new Set(targets).size).toBe(names.length);
  });

  it('cannot escape a name part holding the target separator when that separator is \\', () => {
    const backslash: NameSpelling = { prefix: '', delimiter: '\\' };
    expect(untranslatableReason('a\\b/c', slash, backslash)).toMatch(/separator/);
    expect(untranslatableReason('a/b', slash, backslash)).toBeUndefined();
    expect(untranslatableReason('a\\b', slash, dot)).toBeUndefined();
  });
});
