// Memory of one big message's copy (issue 6, point 13): peak RSS of the real
// command copying one N MB message between two Dovecots, against the same run
// copying one small message (the baseline), and the copy checked by digest.
// Run with `npm run build && npx tsx bench/bigMessage.ts [megabytes=43] [runs=3]`.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigMessage } from '../test/support/corpus.js';
import { startDovecot, type DovecotServer } from '../test/support/dovecot.js';
import { readFolder, seedFolder } from '../test/support/imap.js';

// REPLIMAP_CLI: another build's bin/replimap.js (e.g. to measure an older commit).
const CLI = process.env.REPLIMAP_CLI ?? new URL('../bin/replimap.js', import.meta.url).pathname;
const megabytes = Number(process.argv[2] ?? 43);
const runs = Number(process.argv[3] ?? 3);

/** Peak RSS (KiB, as /usr/bin/time reports it) of one `replimap sync` from user `from` on A to `to` on B. */
function peakRssKiB(a: DovecotServer, b: DovecotServer, user: string, statePath: string): Promise<number> {
  const args = ['-f', 'RSS %M', process.execPath, CLI, 'sync', a.url(user), b.url(user), '--tls-ca', a.caFile, '--state', statePath, '-q'];
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, {
      env: { ...process.env, REPLIMAP_PASSWORD_A: a.passwordOf(user), REPLIMAP_PASSWORD_B: b.passwordOf(user) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const match = /RSS (\d+)/.exec(stderr);
      if (code !== 0 || !match) reject(new Error(`replimap failed (${code}): ${stderr}`));
      else resolve(Number(match[1]));
    });
  });
}

const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');
const mib = (kib: number): string => (kib / 1024).toFixed(0);

async function main(): Promise<void> {
  const users = Array.from({ length: runs }, (_, i) => [`big${i}`, `small${i}`]).flat();
  const accounts = users.map((name) => ({ name, password: 'secret' }));
  const [a, b] = await Promise.all([startDovecot({ users: accounts }), startDovecot({ users: accounts })]);
  const dir = mkdtempSync(join(tmpdir(), 'replimap-bigmsg-'));
  try {
    const big = bigMessage(megabytes * 1_000_000);
    const small = bigMessage(20_000, 7);
    for (let i = 0; i < runs; i++) {
      await seedFolder(a, 'INBOX', [{ raw: big }], `big${i}`);
      await seedFolder(a, 'INBOX', [{ raw: small }], `small${i}`);
    }
    const rows: string[] = [];
    for (let i = 0; i < runs; i++) {
      const base = await peakRssKiB(a, b, `small${i}`, join(dir, `small${i}.state`));
      const peak = await peakRssKiB(a, b, `big${i}`, join(dir, `big${i}.state`));
      const [copy] = await readFolder(b, 'INBOX', `big${i}`);
      const intact = copy !== undefined && digest(copy.body) === digest(big);
      const over = (peak - base) * 1024;
      rows.push(`| ${i + 1} | ${mib(base)} MiB | ${mib(peak)} MiB | ${mib(peak - base)} MiB | ${(over / big.length).toFixed(2)} | ${intact ? 'yes' : 'NO'} |`);
    }
    console.log(`one message of ${big.length} bytes (${(big.length / 1048576).toFixed(1)} MiB)\n`);
    console.log('| run | baseline peak RSS (20 KB message) | peak RSS | over baseline | over / message | copy intact |');
    console.log('|---|---:|---:|---:|---:|---|');
    for (const row of rows) console.log(row);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
