// The standard corpus must survive a real Dovecot unchanged: bytes, flags,
// keywords, internal dates and folder names, on both separator styles.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { inNamespace, listFolders, readFolder, seedFolder } from '../support/imap.js';

function byFolder(corpus: CorpusMessage[]): Map<string, CorpusMessage[]> {
  const map = new Map<string, CorpusMessage[]>();
  for (const m of corpus) map.set(m.folder, [...(map.get(m.folder) ?? []), m]);
  return map;
}

describe.each([
  { label: "'/' server", options: { separator: '/' as const } },
  { label: "'.' server with INBOX. prefix", options: { separator: '.' as const, inboxPrefix: true } },
])('standardCorpus on a $label', ({ options }) => {
  let server: DovecotServer;
  const corpus = standardCorpus(options.separator);

  beforeAll(async () => {
    server = await startDovecot(options);
    for (const [folder, messages] of byFolder(corpus)) await seedFolder(server, folder, messages);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('round-trips every message exactly', async () => {
    for (const [folder, messages] of byFolder(corpus)) {
      const back = await readFolder(server, folder);
      expect(back).toHaveLength(messages.length);
      back.forEach((stored, i) => {
        const sent = messages[i]!;
        expect(stored.body.equals(sent.raw), `${folder} #${i} bytes`).toBe(true);
        // An honest server's RFC822.SIZE is the length of BODY[]: the size check on bodies never trips on it.
        expect(stored.size, `${folder} #${i} RFC822.SIZE`).toBe(stored.body.length);
        expect(stored.flags).toEqual([...sent.flags].sort());
        expect(stored.internalDate.toISOString()).toBe(sent.internalDate.toISOString());
      });
    }
  });

  it('lists every folder under its exact name', async () => {
    const names = new Set((await listFolders(server)).map((f) => f.name));
    for (const folder of byFolder(corpus).keys()) expect(names).toContain(inNamespace(server, folder));
  });
});
