import { describe, expect, it } from 'vitest';
import { selectFolders } from '../../src/sync/folderFilter.js';

const names = ['INBOX', 'Archive', 'Archive/2019', 'Archive/2019/Q1', 'Sent', '.hidden', 'Entwürfe'];

describe('selectFolders', () => {
  it('selects everything when there are no globs', () => {
    expect(selectFolders(names, { include: [], exclude: [] })).toEqual(names);
  });

  it('`*` does not cross "/", `**` does', () => {
    expect(selectFolders(names, { include: ['Archive/*'], exclude: [] })).toEqual(['Archive/2019']);
    expect(selectFolders(names, { include: ['Archive/**'], exclude: [] })).toEqual(['Archive', 'Archive/2019', 'Archive/2019/Q1']);
    expect(selectFolders(names, { include: ['*'], exclude: [] })).toEqual(['INBOX', 'Archive', 'Sent', '.hidden', 'Entwürfe']);
  });

  it('lets an exclude win over an include', () => {
    expect(selectFolders(names, { include: ['Archive/**'], exclude: ['Archive/2019/**'] })).toEqual(['Archive']);
    expect(selectFolders(names, { include: [], exclude: ['Sent', '.*'] })).toEqual([
      'INBOX',
      'Archive',
      'Archive/2019',
      'Archive/2019/Q1',
      'Entwürfe',
    ]);
  });

  it('matches INBOX like any other name (case-sensitively) and UTF-8 names', () => {
    expect(selectFolders(names, { include: ['inbox'], exclude: [] })).toEqual([]);
    expect(selectFolders(names, { include: ['INBOX', 'Entw*'], exclude: [] })).toEqual(['INBOX', 'Entwürfe']);
  });

  it('matches dot-separated names as whole names', () => {
    expect(selectFolders(['INBOX.a', 'INBOX.a.b'], { include: ['INBOX.*'], exclude: [] })).toEqual(['INBOX.a', 'INBOX.a.b']);
  });
});
