import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultStatePath, statePairName } from '../../src/config/statePath.js';

const A = 'imaps://alice%40example.com@host1:993';
const B = 'imap://bob@host2:143';

describe('defaultStatePath', () => {
  it('uses $XDG_STATE_HOME/replimap when set', () => {
    const p = defaultStatePath(A, B, { XDG_STATE_HOME: '/xdg', HOME: '/home/u' });
    expect(p).toMatch(/^\/xdg\/replimap\/alice@example\.com@host1_993--bob@host2_143-[0-9a-f]{10}\.state$/);
  });

  it('falls back to ~/.local/state/replimap (relative XDG values are ignored)', () => {
    expect(defaultStatePath(A, B, { HOME: '/home/u' })).toMatch(/^\/home\/u\/\.local\/state\/replimap\/alice/);
    expect(defaultStatePath(A, B, { XDG_STATE_HOME: 'rel', HOME: '/home/u' })).toMatch(/^\/home\/u\/\.local\/state\//);
    expect(defaultStatePath(A, B, {})).toMatch(new RegExp(`^${homedir()}/\\.local/state/replimap/`));
  });

  it('is stable and distinguishes pairs and their order', () => {
    expect(statePairName(A, B)).toBe(statePairName(A, B));
    expect(statePairName(A, B)).not.toBe(statePairName(B, A));
    // These two look the same once made filesystem-safe; the hash keeps them apart.
    const x = statePairName('imaps://a%2Fb@h:993', B);
    const y = statePairName('imaps://a%3Fb@h:993', B);
    expect(x.slice(0, -11)).toBe(y.slice(0, -11));
    expect(x).not.toBe(y);
  });

  it('makes names filesystem-safe and bounded', () => {
    const name = statePairName('imap://bob@[::1]:10143', `imaps://${'x'.repeat(300)}%2F..%2F@h:993`);
    expect(name).toMatch(/^[A-Za-z0-9@._+-]+$/);
    expect(name.startsWith('bob@__1_10143--')).toBe(true);
    expect(name.length).toBeLessThanOrEqual(200);
  });
});
