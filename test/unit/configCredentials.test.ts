import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStoreSpec } from '../../src/config/storeSpec.js';
import { resolvePassword } from '../../src/config/credentials.js';
import { parseStoreUrl } from '../../src/config/storeUrl.js';
import { ExitCode, UsageError } from '../../src/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replimap-cred-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function secretFile(name: string, content: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  await chmod(path, mode);
  return path;
}

async function usageError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
  return (err as Error).message;
}

describe('resolvePassword', () => {
  it('reads a file and strips one trailing \\n or \\r\\n', async () => {
    const lf = await secretFile('lf', 'secret\n');
    const crlf = await secretFile('crlf', 'secret\r\n');
    const two = await secretFile('two', 'secret\n\n');
    expect(await resolvePassword('A', { env: {}, passwordFile: lf })).toEqual({ password: 'secret', warnings: [] });
    expect((await resolvePassword('A', { env: {}, passwordFile: crlf })).password).toBe('secret');
    expect((await resolvePassword('A', { env: {}, passwordFile: two })).password).toBe('secret\n');
  });

  it('warns when the file is readable by group or others', async () => {
    const loose = await secretFile('loose', 'secret', 0o644);
    const r = await resolvePassword('B', { env: {}, passwordFile: loose });
    expect(r.password).toBe('secret');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^B: password file .* readable by group or others/);
  });

  it('rejects an unreadable or empty file', async () => {
    expect(await usageError(resolvePassword('A', { env: {}, passwordFile: join(dir, 'missing') }))).toMatch(
      /^A: cannot read --password-a-file .*missing: no such file$/,
    );
    const empty = await secretFile('empty', '\n');
    expect(await usageError(resolvePassword('A', { env: {}, passwordFile: empty }))).toMatch(/is empty/);
  });

  it('runs a command with the shell and strips the trailing newline', async () => {
    const r = await resolvePassword('A', { env: {}, passwordCommand: 'printf "%s\\n" "s e c" | cat' });
    expect(r.password).toBe('s e c');
  });

  it('reports a failing command by exit status, never by its output', async () => {
    const msg = await usageError(resolvePassword('B', { env: {}, passwordCommand: 'echo topsecret; exit 3' }));
    expect(msg).toBe('B: --password-b-command failed with exit status 3');
    expect(await usageError(resolvePassword('B', { env: {}, passwordCommand: 'true' }))).toMatch(/printed nothing/);
  });

  it('takes the first source in order: file, command, env, URL', async () => {
    const f = await secretFile('order', 'from-file');
    const env = { REPLIMAP_PASSWORD_A: 'from-env' };
    expect((await resolvePassword('A', { env, passwordFile: f, urlPassword: 'u' })).password).toBe('from-file');
    expect((await resolvePassword('A', { env, passwordCommand: 'echo from-cmd' })).password).toBe('from-cmd');
    expect((await resolvePassword('A', { env, urlPassword: 'u' })).password).toBe('from-env');
    expect((await resolvePassword('A', { env: {}, urlPassword: 'u' })).password).toBe('u');
  });

  it('refuses a file and a command for the same store', async () => {
    const f = await secretFile('both', 'x');
    expect(await usageError(resolvePassword('A', { env: {}, passwordFile: f, passwordCommand: 'echo y' }))).toBe(
      'A: give either --password-a-file or --password-a-command, not both',
    );
  });

  it('warns about a URL password even when it is not used', async () => {
    const r = await resolvePassword('A', { env: { REPLIMAP_PASSWORD_A: 'e' }, urlPassword: 'u' });
    expect(r.warnings).toEqual(['A: password given in the URL; prefer REPLIMAP_PASSWORD_A or --password-a-file']);
  });

  it('explains where a password can come from when there is none', async () => {
    expect(await usageError(resolvePassword('A', { env: { REPLIMAP_PASSWORD_B: 'b', REPLIMAP_PASSWORD_A: '' } }))).toBe(
      'A: no password: set REPLIMAP_PASSWORD_A, or use --password-a-file / --password-a-command',
    );
  });

  it('cites the option names it is given (replimap list)', async () => {
    const msg = await usageError(
      resolvePassword('A', { env: {}, optionNames: { file: '--password-file', command: '--password-command' } }),
    );
    expect(msg).toBe('A: no password: set REPLIMAP_PASSWORD_A, or use --password-file / --password-command');
  });
});

describe('buildStoreSpec', () => {
  it('maps schemes to security modes', async () => {
    const imaps = parseStoreUrl('imaps://a@h', 'A');
    const imap = parseStoreUrl('imap://a@h', 'A');
    expect((await buildStoreSpec(imaps, 'p', { insecure: false })).security).toBe('tls');
    expect((await buildStoreSpec(imaps, 'p', { insecure: true })).security).toBe('tls');
    expect((await buildStoreSpec(imap, 'p', { insecure: false })).security).toBe('starttls');
    expect((await buildStoreSpec(imap, 'p', { insecure: true })).security).toBe('starttls-optional');
  });

  it('fills every field and reads the CA file', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const ca = await secretFile('ca.pem', pem, 0o644);
    const spec = await buildStoreSpec(parseStoreUrl('imaps://alice%40x@[::1]:10993', 'B'), 'pw', {
      tlsCaFile: ca,
      insecure: false,
    });
    expect(spec).toEqual({
      kind: 'imap',
      host: '::1',
      port: 10993,
      security: 'tls',
      user: 'alice@x',
      password: 'pw',
      tlsCa: pem,
      insecure: false,
      displayUrl: 'imaps://alice%40x@[::1]:10993',
    });
  });

  it('rejects an unreadable or non-PEM CA file', async () => {
    const url = parseStoreUrl('imaps://a@h', 'A');
    expect(await usageError(buildStoreSpec(url, 'p', { tlsCaFile: join(dir, 'nope.pem'), insecure: false }))).toMatch(
      /^cannot read --tls-ca .*nope\.pem: no such file$/,
    );
    const junk = await secretFile('junk.pem', 'hello', 0o644);
    expect(await usageError(buildStoreSpec(url, 'p', { tlsCaFile: junk, insecure: false }))).toMatch(/no PEM certificate/);
  });
});
