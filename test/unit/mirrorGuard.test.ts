import { describe, expect, it } from 'vitest';
import { checkFolderExpungeGuard, checkMirrorGuard } from '../../src/sync/mirrorGuard.js';

const folders = (...rows: [number, number][]) => rows.map(([rememberedA, presentA], i) => ({ name: `f${i}`, rememberedA, presentA }));

describe('checkMirrorGuard', () => {
  it('passes when A looks like the state remembers it', () => {
    expect(checkMirrorGuard({ folders: folders([100, 95], [20, 25]), rememberedFolders: 2, presentFolders: 2, force: false })).toEqual({ ok: true });
  });

  it('refuses when more than half of the remembered messages are gone, with the numbers and --force', () => {
    const r = checkMirrorGuard({ folders: folders([100, 30], [20, 20]), rememberedFolders: 2, presentFolders: 2, force: false });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain('70 of the 120 messages');
      expect(r.reason).toContain('--force');
    }
  });

  it('passes at exactly half gone', () => {
    expect(checkMirrorGuard({ folders: folders([10, 5]), rememberedFolders: 1, presentFolders: 1, force: false }).ok).toBe(true);
    expect(checkMirrorGuard({ folders: folders([10, 4]), rememberedFolders: 1, presentFolders: 1, force: false }).ok).toBe(false);
  });

  it('does not let new messages in one folder hide losses in another', () => {
    expect(checkMirrorGuard({ folders: folders([20, 0], [5, 100]), rememberedFolders: 2, presentFolders: 2, force: false }).ok).toBe(false);
  });

  it('ignores message losses when fewer than 10 were remembered', () => {
    expect(checkMirrorGuard({ folders: folders([9, 0]), rememberedFolders: 1, presentFolders: 1, force: false }).ok).toBe(true);
  });

  it('refuses when more than half of the remembered folders are gone', () => {
    const r = checkMirrorGuard({ folders: [], rememberedFolders: 5, presentFolders: 2, force: false });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('2 of the 5 folders') });
    expect(checkMirrorGuard({ folders: [], rememberedFolders: 1, presentFolders: 0, force: false }).ok).toBe(true);
    expect(checkMirrorGuard({ folders: [], rememberedFolders: 4, presentFolders: 2, force: false }).ok).toBe(true);
  });

  it('--force overrides', () => {
    expect(checkMirrorGuard({ folders: folders([100, 0]), rememberedFolders: 9, presentFolders: 0, force: true })).toEqual({ ok: true });
  });
});

describe('checkFolderExpungeGuard', () => {
  it('refuses when more than half is gone and at least 10 would be deleted', () => {
    const r = checkFolderExpungeGuard({ name: 'Archive', rememberedA: 30, presentA: 10, force: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/20 of the 30 messages .*"Archive".*--force/);
  });

  it('allows small deletions and moderate losses', () => {
    expect(checkFolderExpungeGuard({ rememberedA: 12, presentA: 3, force: false }).ok).toBe(true);
    expect(checkFolderExpungeGuard({ rememberedA: 100, presentA: 60, force: false }).ok).toBe(true);
    expect(checkFolderExpungeGuard({ rememberedA: 100, presentA: 0, wouldDelete: 9, force: false }).ok).toBe(true);
    expect(checkFolderExpungeGuard({ rememberedA: 0, presentA: 0, force: false }).ok).toBe(true);
  });

  it('--force overrides', () => {
    expect(checkFolderExpungeGuard({ rememberedA: 100, presentA: 0, force: true }).ok).toBe(true);
  });
});
