import { describe, expect, it } from 'vitest';
import { mapFolders, translateFolderName } from '../../src/sync/folderMap.js';
import type { FolderInfo, NamespaceInfo, SpecialUse } from '../../src/store/types.js';

function folder(name: string, delimiter: string | null, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { name, delimiter, subscribed: true, selectable: true, ...extra };
}
const dotInbox: NamespaceInfo = { prefix: 'INBOX.', delimiter: '.' };
const slash: NamespaceInfo = { prefix: '', delimiter: '/' };
const dot: NamespaceInfo = { prefix: '', delimiter: '.' };

describe('translateFolderName', () => {
  it('translates INBOX.-prefixed dot names to slash names and back', () => {
    expect(translateFolderName('INBOX.Archive.2019', 'INBOX.', '.', '', '/')).toBe('Archive/2019');
    expect(translateFolderName('Archive/2019', '', '/', 'INBOX.', '.')).toBe('INBOX.Archive.2019');
  });

  it('keeps INBOX as INBOX, whatever its case', () => {
    expect(translateFolderName('INBOX', 'INBOX.', '.', '', '/')).toBe('INBOX');
    expect(translateFolderName('Inbox', '', '/', 'INBOX.', '.')).toBe('INBOX');
  });

  it('replaces the target separator inside a name part', () => {
    expect(translateFolderName('Projects/v1.2', '', '/', '', '.')).toBe('Projects.v1_2');
    expect(translateFolderName('a/b', '', '.', '', '/')).toBe('a_b');
  });

  it('leaves names outside the source prefix unstripped', () => {
    expect(translateFolderName('Shared.x', 'INBOX.', '.', '', '/')).toBe('Shared/x');
  });

  it('handles flat namespaces and UTF-8 names', () => {
    expect(translateFolderName('Entwürfe', '', null, '', '/')).toBe('Entwürfe');
    expect(translateFolderName('a/b', '', '/', '', null)).toBe('a/b');
    expect(translateFolderName('Gesendete Elemente/Überblick', '', '/', 'INBOX.', '.')).toBe('INBOX.Gesendete Elemente.Überblick');
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
    expect(m.warnings).toEqual([]);
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

  it('warns once per folder whose name holds B’s separator', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('v1.2/a.b', '/')] },
      { namespace: dot, folders: [folder('INBOX', '.')] },
    );
    expect(m.pairs[1]!.nameB).toBe('v1_2.a_b');
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toContain('v1.2/a.b');
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
    expect(m.warnings).toEqual([]);
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

  it('never maps two A folders onto one B folder: the later one is skipped with a warning', () => {
    const m = mapFolders(
      { namespace: slash, folders: [folder('INBOX', '/'), folder('a.b', '/'), folder('a_b', '/')] },
      { namespace: dot, folders: [folder('INBOX', '.')] },
    );
    expect(m.pairs.map((p) => [p.nameA, p.nameB])).toEqual([
      ['INBOX', 'INBOX'],
      ['a.b', 'a_b'],
    ]);
    expect(m.warnings.some((w) => w.includes('skipping "a_b"'))).toBe(true);
  });

  it('skips an A folder whose name would land on INBOX', () => {
    const m = mapFolders(
      { namespace: dotInbox, folders: [folder('INBOX', '.'), folder('INBOX.INBOX', '.')] },
      { namespace: slash, folders: [folder('INBOX', '/')] },
    );
    expect(m.pairs.map((p) => p.nameA)).toEqual(['INBOX']);
    expect(m.warnings).toHaveLength(1);
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
