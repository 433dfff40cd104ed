import { describe, expect, it } from 'vitest';
import { mapFolders } from '../../src/sync/folderMap.js';
import { translateFolderName } from '../../src/sync/folderName.js';
import type { FolderInfo, NamespaceInfo, SpecialUse } from '../../src/store/types.js';

function folder(name: string, delimiter: string | null, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { name, delimiter, subscribed: true, selectable: true, ...extra };
}
const dotInbox: NamespaceInfo = { prefix: 'INBOX.', delimiter: '.' };
const slash: NamespaceInfo = { prefix: '', delimiter: '/' };
const dot: NamespaceInfo = { prefix: '', delimiter: '.' };

describe('translateFolderName', () => {
  it('translates INBOX.-prefixed dot names to slash names and back', () => {
    expect(translateFolderName('INBOX.Archive.2019', dotInbox, slash)).toBe('Archive/2019');
    expect(translateFolderName('Archive/2019', slash, dotInbox)).toBe('INBOX.Archive.2019');
  });

  it('keeps INBOX as INBOX, whatever its case', () => {
    expect(translateFolderName('INBOX', dotInbox, slash)).toBe('INBOX');
    expect(translateFolderName('Inbox', slash, dotInbox)).toBe('INBOX');
  });

  it('escapes the target separator inside a name part (was: replaced by "_")', () => {
    expect(translateFolderName('Projects/v1.2', slash, dot)).toBe('Projects.v1\\2e2');
    expect(translateFolderName('a/b', dot, slash)).toBe('a\\2fb');
  });

  it('leaves names outside the source prefix unstripped', () => {
    expect(translateFolderName('Shared.x', dotInbox, slash)).toBe('Shared/x');
  });

  it('handles flat namespaces and UTF-8 names', () => {
    const flat: NamespaceInfo = { prefix: '', delimiter: null };
    expect(translateFolderName('Entwürfe', flat, slash)).toBe('Entwürfe');
    expect(translateFolderName('a/b', slash, flat)).toBe('a/b');
    expect(translateFolderName('Gesendete Elemente/Überblick', slash, dotInbox)).toBe('INBOX.Gesendete Elemente.Überblick');
  });
});

describe('mapFolders', () => {
  it('maps a dot server with INBOX. prefix onto a slash server, with parents first in toCreate', () => {
    const m = mapFolders(
      {
        namespace: dotInbox,
        folders: [
          folder('INBOX', '.'),
          folder('INBOX.Archive', '.', { selectable: false }),
          folder('INBOX.Archive.2019', '.', { subscribed: false }),
          folder('INBOX.Work', '.'),
        ],
      },
      { namespace: slash, folders: [folder('INBOX', '/'), folder('Work', '/', { subscribed: false })] },
    );
    expect(m.pairs).toEqual([
      { nameA: 'INBOX', nameB: 'INBOX', existsOnB: true, subscribedOnA: true, subscribedOnB: true, selectableOnA: true },
      { nameA: 'INBOX.Archive.2019', nameB: 'Archive/2019', existsOnB: false, subscribedOnA: false, subscribedOnB: false, selectableOnA: true },
      { nameA: 'INBOX.Work', nameB: 'Work', existsOnB: true, subscribedOnA: true, subscribedOnB: false, selectableOnA: true },
    ]);
    expect(m.toCreate).toEqual(['Archive', 'Archive/2019']);
    expect(m.unmapped).toEqual([]);
  });

  it('maps a slash server onto a dot server with INBOX. prefix', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('a/b/c', '/'), folder('a', '/')] },
      { namespace: dotInbox, folders: [folder('INBOX', '.')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['a/b/c', 'INBOX.a.b.c'],
      ['a', 'INBOX.a'],
    ]);
    expect(m.toCreate).toEqual(['INBOX.a', 'INBOX.a.b', 'INBOX.a.b.c']);
  });

  it('does not create a parent B already lists, even as \\Noselect, but creates a non-selectable pair target', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('p/q', '/'), folder('r', '/')] },
      { namespace: slash, folders: [folder('INBOX', '/'), folder('p', '/', { selectable: false }), folder('r', '/', { selectable: false })] },
    );
    expect(m.toCreate).toEqual(['p/q', 'r']);
    expect(m.pairs.find((p) => p.nameA === 'r')!.existsOnB).toBe(false);
  });

  it('puts INBOX first and matches it case-insensitively', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('Zeta', '/'), folder('Inbox', '/')] },
      { namespace: slash, folders: [folder('INBOX', '/')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB, p.existsOnB])).toEqual([
      ['Inbox', 'INBOX', true],
      ['Zeta', 'Zeta', false],
    ]);
  });

  it('escapes B’s separator in a name part, without a warning', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('v1.2/a.b', '/')] },
      { namespace: dot, folders: [folder('INBOX', '.')] },
    );
    expect(m.pairs[1]!.nameB).toBe('v1\\2e2.a\\2eb');
    expect(m.toCreate).toEqual(['v1\\2e2', 'v1\\2e2.a\\2eb']);
    expect(m.unmapped).toEqual([]);
  });

  const su = (name: string, use: SpecialUse, sep = '/'): FolderInfo => folder(name, sep, { specialUse: use });

  it('maps special-use folders onto B’s folder with the same special use', () => {
    const m = mapFolders(
      {
        namespace: dotInbox,
        folders: [folder('INBOX', '.'), su('INBOX.Sent Items', '\\Sent', '.'), su('INBOX.Deleted Items', '\\Trash', '.'), su('INBOX.Junk E-mail', '\\Junk', '.')],
      },
      { namespace: slash, folders: [folder('INBOX', '/'), su('Sent', '\\Sent'), su('Trash', '\\Trash')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB, p.existsOnB, p.specialUse])).toEqual([
      ['INBOX', 'INBOX', true, undefined],
      ['INBOX.Sent Items', 'Sent', true, '\\Sent'],
      ['INBOX.Deleted Items', 'Trash', true, '\\Trash'],
      ['INBOX.Junk E-mail', 'Junk E-mail', false, '\\Junk'],
    ]);
    expect(m.toCreate).toEqual(['Junk E-mail']);
  });

  it('keeps name translation when B’s special-use folder is the name-target of another A folder', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), su('Sent Items', '\\Sent'), folder('Sent', '/')] },
      { namespace: slash, folders: [folder('INBOX', '/'), su('Sent', '\\Sent')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['Sent Items', 'Sent Items'],
      ['Sent', 'Sent'],
    ]);
    expect(m.unmapped).toEqual([]);
  });

  it('lets only the first of two A folders with the same special use take B’s folder', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), su('Sent Items', '\\Sent'), su('Sent Messages', '\\Sent')] },
      { namespace: slash, folders: [folder('INBOX', '/'), su('Sent', '\\Sent')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['Sent Items', 'Sent'],
      ['Sent Messages', 'Sent Messages'],
    ]);
  });

  it('gives "a.b" and "a_b" distinct B folders', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('a.b', '/'), folder('a_b', '/')] },
      { namespace: dot, folders: [folder('INBOX', '.')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['a.b', 'a\\2eb'],
      ['a_b', 'a_b'],
    ]);
    expect(m.unmapped).toEqual([]);
  });

  it('keeps a B folder an earlier version made with "_" for B’s separator, when the state remembers the pair', () => {
    const a = { namespace: slash, folders: [folder('INBOX', '/'), folder('v1.2', '/'), folder('x.y', '/'), folder('p.q', '/')] };
    const b = { namespace: dot, folders: [folder('INBOX', '.'), folder('v1_2', '.'), folder('p_q', '.')] };
    const remembered = [
      { nameA: 'v1.2', nameB: 'v1_2' },
      { nameA: 'x.y', nameB: 'x_y' }, // gone from B: the escape from now on
    ];
    const m = mapFolders(a, b, remembered);
    expect(m.pairs.map((p) => [p.nameA, p.nameB, p.existsOnB])).toEqual([
      ['INBOX', 'INBOX', true],
      ['v1.2', 'v1_2', true],
      ['x.y', 'x\\2ey', false],
      ['p.q', 'p\\2eq', false], // not remembered: B's "p_q" is someone else's
    ]);
  });

  it('gives a remembered "_" name back to the A folder that is really called so', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('dot.name', '/'), folder('dot_name', '/')] },
      { namespace: dot, folders: [folder('INBOX', '.'), folder('dot_name', '.')] },
      [{ nameA: 'dot.name', nameB: 'dot_name' }],
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['dot.name', 'dot\\2ename'],
      ['dot_name', 'dot_name'],
    ]);
    expect(m.unmapped).toEqual([]);
  });

  it('never maps two A folders onto one B folder: the later one is unmapped, with the reason', () => {
    const m = mapFolders(
      { namespace: dotInbox, folders: [folder('INBOX', '.'), folder('INBOX.INBOX', '.'), folder('INBOX.x', '.')] },
      { namespace: slash, folders: [folder('INBOX', '/')] },
    );
    expect(m.pairs.map((p) => p.nameA)).toEqual(['INBOX', 'INBOX.x']);
    expect(m.unmapped).toEqual([
      { nameA: 'INBOX.INBOX', reason: 'no B folder of its own: its B name "INBOX" is already the B folder of A folder "INBOX"' },
    ]);
  });

  it('lists an A folder whose name B cannot spell as unmapped', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('a\\b', '/'), folder('c', '/')] },
      { namespace: { prefix: '', delimiter: '\\' }, folders: [folder('INBOX', '\\')] },
    );
    expect(m.pairs.map((p) => p.nameA)).toEqual(['INBOX', 'c']);
    expect(m.unmapped.map((u) => u.nameA)).toEqual(['a\\b']);
  });

  it('never makes a pair of a non-selectable A folder', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('Empty', '/', { selectable: false })] },
      { namespace: slash, folders: [folder('INBOX', '/')] },
    );
    expect(m.pairs.map((p) => p.nameA)).toEqual(['INBOX']);
    expect(m.toCreate).toEqual([]);
  });
});
