// `npm run demo`: two throwaway Dovecot servers on this machine, a small
// mailbox on A, and replimap copying it to B, listing B, and syncing again to
// show that a second run moves nothing. Everything is removed at the end.
//
// A: '/' separator, sent folder "Sent Items" (\Sent).
// B: '.' separator, sent folder "Sent" (\Sent) — replimap maps one onto the other.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleMail, type CorpusMessage } from '../test/support/corpus.js';
import { startDovecot, type DovecotServer } from '../test/support/dovecot.js';
import { seedFolder } from '../test/support/imap.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'replimap.js');
const PASSWORD_A = 'demo-secret-a';
const PASSWORD_B = 'demo-secret-b';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string): void => {
  process.stdout.write(`\n${bold(`▶ ${s}`)}\n`);
};

const servers: DovecotServer[] = [];
let workDir: string | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    process.stderr.write(`\n${sig}: stopping the demo servers…\n`);
    void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  });
}

/** Runs the CLI with the user's terminal attached, so progress shows as it would for them. */
function replimap(args: string[], env: Record<string, string>): Promise<number> {
  process.stdout.write(`$ replimap ${args.map((a) => (/[\s'"]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('exit', (code, sig) => resolvePromise(code ?? (sig === 'SIGINT' ? 130 : 1)));
  });
}

function byFolder(messages: CorpusMessage[]): Map<string, CorpusMessage[]> {
  const map = new Map<string, CorpusMessage[]>();
  for (const m of messages) map.set(m.folder, [...(map.get(m.folder) ?? []), m]);
  return map;
}

async function main(): Promise<number> {
  workDir = mkdtempSync(join(tmpdir(), 'replimap-demo-'));

  say('Starting two throwaway Dovecot servers');
  const [a, b] = await Promise.all([
    startDovecot({ separator: '/', specialUse: { 'Sent Items': '\\Sent', Trash: '\\Trash' }, users: [{ name: 'alice', password: PASSWORD_A }] }),
    startDovecot({ separator: '.', specialUse: { Sent: '\\Sent', Trash: '\\Trash' }, users: [{ name: 'alice', password: PASSWORD_B }] }),
  ]);
  servers.push(a, b);
  // --tls-ca takes one file: give it both servers' certificates (in one demo
  // process they share one self-signed certificate anyway).
  const caFile = join(workDir, 'demo-ca.pem');
  writeFileSync(caFile, [...new Set([a.caPem, b.caPem])].join('\n'));
  const state = join(workDir, 'demo.state');
  process.stdout.write(`  A: ${a.url()}  (separator '/', sent folder "Sent Items")\n`);
  process.stdout.write(`  B: ${b.url()}  (separator '.', sent folder "Sent")\n`);

  say('Filling A with a small mailbox');
  const mail = sampleMail('/');
  for (const [folder, messages] of byFolder(mail)) {
    await seedFolder(a, folder, messages);
    process.stdout.write(`  ${folder}: ${messages.length} messages\n`);
  }

  const env = { REPLIMAP_PASSWORD_A: PASSWORD_A, REPLIMAP_PASSWORD_B: PASSWORD_B };
  const syncArgs = ['sync', a.url(), b.url(), '--tls-ca', caFile, '--state', state];

  say('First sync: copy everything from A to B');
  let code = await replimap(syncArgs, env);
  if (code !== 0) return failed('sync', code);

  say("What B holds now (note the '.' names and \"Sent\")");
  // `list` reads the password of its one store from REPLIMAP_PASSWORD_A.
  code = await replimap(['list', b.url(), '--tls-ca', caFile], { REPLIMAP_PASSWORD_A: PASSWORD_B });
  if (code !== 0) return failed('list', code);

  say('Second sync: nothing changed, so nothing is copied');
  code = await replimap(syncArgs, env);
  if (code !== 0) return failed('second sync', code);

  say(`Done: ${mail.length} messages replicated. Stopping the servers.`);
  return 0;
}

function failed(what: string, code: number): number {
  process.stderr.write(`\nreplimap ${what} exited with status ${code}; see its output above.\n`);
  return code;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await cleanup();
}
process.exit(exitCode);
