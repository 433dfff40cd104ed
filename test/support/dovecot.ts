// Throwaway Dovecot servers for integration tests, demos and benchmarks.
//
// Each instance gets its own temp dir (config, run dir, logs, mail homes), its own
// free ports on 127.0.0.1, passwd-file users and a self-signed certificate. Nothing
// here imports src/: the harness must work whatever state the program is in.

import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export type SpecialUseName = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** The CA that verifies certFile (for a self-signed cert: certFile itself). */
  caFile: string;
}

export interface DovecotOptions {
  /** Hierarchy separator, default '/'. */
  separator?: '/' | '.';
  /** Personal namespace prefix "INBOX<sep>": every folder lives under INBOX. Default false. */
  inboxPrefix?: boolean;
  /** Folder name (without namespace prefix, with the separator) -> special use; auto-created and subscribed. */
  specialUse?: Record<string, SpecialUseName>;
  /** Default [{ name: 'alice', password: 'secret' }]. */
  users?: { name: string; password: string }[];
  /** Replaces the advertised capability list (imap_capability); a leading '+' adds to it instead. */
  capabilities?: string;
  /** Appended verbatim to the config. */
  extraConfig?: string;
  /** Advertise COMPRESS=DEFLATE (loads imap_zlib). Default false, as in Debian's stock config. */
  compress?: boolean;
  /** Use these TLS files instead of the per-process self-signed certificate. */
  tls?: TlsFiles;
}

export interface DovecotServer {
  host: string;
  /** Plain IMAP with STARTTLS. */
  imapPort: number;
  /** Implicit TLS. */
  imapsPort: number;
  /** PEM file that verifies the server certificate (trust it as CA). */
  caFile: string;
  caPem: string;
  dir: string;
  configFile: string;
  separator: '/' | '.';
  /** Personal namespace prefix: '' or 'INBOX<sep>'. */
  namespacePrefix: string;
  /** 'imaps://alice@127.0.0.1:40123' (default user alice, scheme imaps). */
  url(user?: string, scheme?: 'imaps' | 'imap'): string;
  /** Runs `doveadm -c configFile ...args`; resolves stdout, rejects with stderr. */
  doveadm(args: string[]): Promise<string>;
  /** That user's Maildir root. */
  maildirOf(user?: string): string;
  /** Password of a configured user (default alice). */
  passwordOf(user?: string): string;
  /**
   * Stops the server (keeping its dir), runs `whileStopped` (e.g. to put back an
   * older copy of a Maildir), and starts it again on the same ports and config.
   */
  restart(whileStopped?: () => Promise<void>): Promise<void>;
  /** Stops the instance and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** What Dovecot 2.3.19 advertises after login (for `capabilities` lists that drop parts of it). */
export const DOVECOT_CAPABILITIES: readonly string[] = [
  'IMAP4rev1', 'SASL-IR', 'LOGIN-REFERRALS', 'ID', 'ENABLE', 'IDLE', 'SORT', 'SORT=DISPLAY', 'THREAD=REFERENCES',
  'THREAD=REFS', 'THREAD=ORDEREDSUBJECT', 'MULTIAPPEND', 'URL-PARTIAL', 'CATENATE', 'UNSELECT', 'CHILDREN', 'NAMESPACE',
  'UIDPLUS', 'LIST-EXTENDED', 'I18NLEVEL=1', 'CONDSTORE', 'QRESYNC', 'ESEARCH', 'ESORT', 'SEARCHRES', 'WITHIN',
  'CONTEXT=SEARCH', 'LIST-STATUS', 'BINARY', 'MOVE', 'SNIPPET=FUZZY', 'PREVIEW=FUZZY', 'PREVIEW', 'STATUS=SIZE',
  'SAVEDATE', 'LITERAL+', 'NOTIFY', 'SPECIAL-USE',
];

const DOVECOT_BIN = '/usr/sbin/dovecot';
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;

// ---------------------------------------------------------------------------
// Cleanup of instances a crashed or careless test left behind.

interface LiveInstance {
  dir: string;
  master: Master | undefined;
  watchdogPid: number | undefined;
}
const live = new Set<LiveInstance>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: signal the masters and drop the dirs.
  process.once('exit', () => {
    for (const instance of live) {
      if (instance.master && !instance.master.hasExited()) signal(instance.master.pid, 'SIGTERM');
      if (instance.watchdogPid !== undefined) signal(instance.watchdogPid, 'SIGTERM');
      try {
        rmSync(instance.dir, { recursive: true, force: true });
      } catch {
        // best effort while exiting
      }
    }
    live.clear();
  });
}

/**
 * A detached shell that outlives a SIGKILLed test process: once our PID is gone
 * it stops the master and removes the dir. It ends by itself when the master
 * ends first, and stop() ends it too.
 */
function startWatchdog(dir: string, masterPid: number): number | undefined {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done`,
    `if ! kill -0 ${process.pid} 2>/dev/null; then kill -TERM "$1" 2>/dev/null; sleep 3; rm -rf "$2"; fi`,
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'replimap-dovecot-watchdog', String(masterPid), dir], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid;
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Small process helpers.

export function run(cmd: string, args: string[], options: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
      if (error) {
        const detail = stderr.trim() || stdout.trim() || error.message;
        reject(new Error(`${cmd} ${args.join(' ')} failed: ${detail}`, { cause: error }));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// TLS: one self-signed key/cert per process (EC keys are cheap, but why twice).

interface CertPair {
  certPem: string;
  keyPem: string;
}
let cachedCert: Promise<CertPair> | undefined;

/** The per-process self-signed certificate every instance uses unless given `tls`. */
export function testCertificate(): Promise<CertPair> {
  cachedCert ??= generateCertificate();
  return cachedCert;
}

async function generateCertificate(): Promise<CertPair> {
  const dir = await mkdtemp(join(tmpdir(), 'replimap-cert-'));
  try {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyFile, '-out', certFile, '-days', '3650', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { certPem: await readFile(certFile, 'utf8'), keyPem: await readFile(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// Ports.

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

async function twoFreePorts(): Promise<[number, number]> {
  const a = await freePort();
  let b = await freePort();
  while (b === a) b = await freePort();
  return [a, b];
}

/** Resolves the greeting line once the port answers, or undefined if it does not (yet). */
function readGreeting(port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    let data = '';
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const end = data.indexOf('\r\n');
      if (end >= 0) done(data.slice(0, end));
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
  });
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------
// Who the instance runs as.

interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): RunAs | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const fields = line.split(':');
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

let cachedRunAs: Promise<RunAs> | undefined;

/** As root: an unprivileged system user (dovenull, or one we create). Otherwise: ourselves. */
function runAs(): Promise<RunAs> {
  cachedRunAs ??= (async () => {
    const me = userInfo();
    if (me.uid !== 0) return { name: me.username, uid: me.uid, gid: me.gid };
    for (const name of ['dovenull', 'dovecot']) {
      const found = lookupUser(name);
      if (found) return found;
    }
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'replimap-test']);
    const created = lookupUser('replimap-test');
    if (!created) throw new Error('could not create the system user replimap-test for Dovecot');
    return created;
  })();
  return cachedRunAs;
}

// ---------------------------------------------------------------------------
// Config.

function quoteMailbox(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface ConfigInput {
  dir: string;
  imapPort: number;
  imapsPort: number;
  user: RunAs;
  separator: '/' | '.';
  namespacePrefix: string;
  options: DovecotOptions;
  tls: TlsFiles;
}

function buildConfig(c: ConfigInput): string {
  const mailboxes = Object.entries(c.options.specialUse ?? {})
    .map(([name, use]) => `  mailbox ${quoteMailbox(name)} {\n    special_use = ${use}\n    auto = subscribe\n  }`)
    .join('\n');
  // imap-login is configured below with its listeners.
  const noChroot = ['ipc', 'old-stats', 'imap-urlauth-login', 'aggregator', 'director']
    .map((s) => `service ${s} {\n  chroot =\n}`)
    .join('\n');
  const usersFile = join(c.dir, 'users');
  return `# generated by test/support/dovecot.ts
instance_name = replimap-${c.imapPort}
base_dir = ${c.dir}/run
state_dir = ${c.dir}/state
log_path = ${c.dir}/dovecot.log
info_log_path = ${c.dir}/dovecot.log
protocols = imap
listen = ${HOST}
default_internal_user = ${c.user.name}
default_internal_group = ${groupName(c.user.gid)}
default_login_user = ${c.user.name}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
ssl_cert = <${c.tls.certFile}
ssl_key = <${c.tls.keyFile}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir:LAYOUT=fs
# a throwaway store: durability buys nothing here, speed does
mail_fsync = never
auth_failure_delay = 0
# no stats-writer: a login process spawned during shutdown waits 5 s on it
stats_writer_socket_path =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${usersFile}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${usersFile}
}
namespace inbox {
  inbox = yes
  separator = ${c.separator}
  prefix = ${c.namespacePrefix}
${mailboxes}
}
protocol imap {
  mail_max_userip_connections = 100
${c.options.compress ? '  mail_plugins = $mail_plugins imap_zlib\n' : ''}}
${c.options.capabilities !== undefined ? `imap_capability = ${c.options.capabilities}\n` : ''}# One long-lived login process for all connections: with the default one
# process per connection, a stop() right after a connect catches a freshly
# spawned login process that blocks shutdown for 5 s.
service imap-login {
  chroot =
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    address = ${HOST}
    port = ${c.imapPort}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${c.imapsPort}
    ssl = yes
  }
}
# no auth penalty: a wrong-password test would slow every later login from 127.0.0.1 by seconds
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
${noChroot}
${c.options.extraConfig ?? ''}
`;
}

function groupName(gid: number): string {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(gid));
  return line ? line.split(':')[0]! : String(gid);
}

// ---------------------------------------------------------------------------
// Start / stop.

async function logTail(dir: string, lines = 30): Promise<string> {
  const parts: string[] = [];
  for (const name of ['dovecot.log', 'stderr.log']) {
    try {
      const text = (await readFile(join(dir, name), 'utf8')).trimEnd();
      if (text) parts.push(`--- ${name} ---\n${text.split('\n').slice(-lines).join('\n')}`);
    } catch {
      // not written yet
    }
  }
  return parts.join('\n') || '(no log output)';
}

export interface Master {
  pid: number;
  /** Resolves with the exit code (or signal name) once the master has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** Keeps the event loop alive while we wait for the exit. */
  ref(): void;
}

/**
 * Runs the master in the foreground as our child (-F), so Node reaps it: a
 * daemonised master would stay a zombie where PID 1 does not reap orphans,
 * and `kill -0` could not tell us it is gone. Its output goes to a file, never
 * to our stdio: a pipe held open by the daemon would keep a reader of the
 * test's output waiting forever.
 */
function launch(configFile: string, stderrFile: string): Master {
  return launchForeground(DOVECOT_BIN, ['-F', '-c', configFile], stderrFile);
}

/** A server's master process run in the foreground as our child, its output to `stderrFile` (see launch). */
export function launchForeground(bin: string, args: string[], stderrFile: string): Master {
  const fd = openSync(stderrFile, 'a');
  try {
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true });
    let done = false;
    const exited = new Promise<number | string>((resolve) => {
      child.once('error', (error) => {
        done = true;
        resolve(error.message);
      });
      child.once('exit', (code, sig) => {
        done = true;
        resolve(code ?? sig ?? 'unknown');
      });
    });
    // A forgotten server must not keep the test process alive; the exit hook stops it.
    child.unref();
    return { pid: child.pid ?? -1, exited, hasExited: () => done, ref: () => child.ref() };
  } finally {
    closeSync(fd);
  }
}

export async function stopMaster(master: Master | undefined): Promise<void> {
  if (!master || master.hasExited()) return;
  master.ref();
  signal(master.pid, 'SIGTERM');
  if ((await exitWithin(master, STOP_TIMEOUT_MS)) === 'timeout') {
    signal(master.pid, 'SIGKILL');
    await exitWithin(master, 2000);
  }
}

async function exitWithin(master: Master, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([master.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  if (!existsSync(DOVECOT_BIN)) {
    throw new Error(`Dovecot is not installed (${DOVECOT_BIN} missing): run \`apt-get install -y dovecot-imapd dovecot-core\``);
  }
  installExitHook();
  const user = await runAs();
  const separator = options.separator ?? '/';
  const namespacePrefix = options.inboxPrefix ? `INBOX${separator}` : '';
  const users = options.users ?? [{ name: 'alice', password: 'secret' }];

  const dir = await mkdtemp(join(tmpdir(), 'replimap-dovecot-'));
  // The mail processes run as `user` and must reach their homes under dir.
  chmodSync(dir, 0o755);
  const configFile = join(dir, 'dovecot.conf');

  let tls: TlsFiles;
  if (options.tls) {
    tls = options.tls;
  } else {
    const cert = await testCertificate();
    tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), caFile: join(dir, 'cert.pem') };
    await writeFile(tls.certFile, cert.certPem);
    await writeFile(tls.keyFile, cert.keyPem, { mode: 0o600 });
  }
  const caPem = await readFile(tls.caFile, 'utf8');

  await mkdir(join(dir, 'home'));
  await writeFile(
    join(dir, 'users'),
    users.map((u) => `${u.name}:{PLAIN}${u.password}:${user.uid}:${user.gid}::${join(dir, 'home', u.name)}::\n`).join(''),
  );
  for (const u of users) {
    const home = join(dir, 'home', u.name);
    await mkdir(home);
    if (process.getuid?.() === 0) chownSync(home, user.uid, user.gid);
  }

  const instance: LiveInstance = { dir, master: undefined, watchdogPid: undefined };
  live.add(instance);
  let imapPort = 0;
  let imapsPort = 0;
  try {
    for (let attempt = 1; ; attempt++) {
      [imapPort, imapsPort] = await twoFreePorts();
      await writeFile(configFile, buildConfig({ dir, imapPort, imapsPort, user, separator, namespacePrefix, options, tls }));
      rmSync(join(dir, 'dovecot.log'), { force: true });
      rmSync(join(dir, 'stderr.log'), { force: true });
      const master = launch(configFile, join(dir, 'stderr.log'));
      instance.master = master;
      if (await waitUntilReady(dir, master, imapPort, imapsPort)) {
        instance.watchdogPid = startWatchdog(dir, master.pid);
        break;
      }
      await stopMaster(master);
      const tail = await logTail(dir);
      // Another process took a port between our probe and Dovecot's bind.
      if (/Address already in use/i.test(tail) && attempt < PORT_ATTEMPTS) continue;
      throw new Error(`dovecot (${configFile}) did not start and answer on ${HOST}:${imapPort}:\n${tail}`);
    }
  } catch (error) {
    await stopMaster(instance.master);
    live.delete(instance);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  const passwords = new Map(users.map((u) => [u.name, u.password]));
  const server: DovecotServer = {
    host: HOST,
    imapPort,
    imapsPort,
    caFile: tls.caFile,
    caPem,
    dir,
    configFile,
    separator,
    namespacePrefix,
    url(name = 'alice', scheme = 'imaps') {
      return `${scheme}://${encodeURIComponent(name)}@${HOST}:${scheme === 'imaps' ? imapsPort : imapPort}`;
    },
    async doveadm(args) {
      return (await run('doveadm', ['-c', configFile, ...args])).stdout;
    },
    maildirOf(name = 'alice') {
      return join(dir, 'home', name, 'Maildir');
    },
    passwordOf(name = 'alice') {
      const password = passwords.get(name);
      if (password === undefined) throw new Error(`no user ${name} on this test server`);
      return password;
    },
    async restart(whileStopped) {
      if (stopped) throw new Error('restart() after stop()');
      await stopMaster(instance.master);
      if (instance.watchdogPid !== undefined) signal(instance.watchdogPid, 'SIGTERM');
      instance.watchdogPid = undefined;
      await whileStopped?.();
      const master = launch(configFile, join(dir, 'stderr.log'));
      instance.master = master;
      if (!(await waitUntilReady(dir, master, imapPort, imapsPort))) {
        throw new Error(`dovecot (${configFile}) did not come back on ${HOST}:${imapPort}:\n${await logTail(dir)}`);
      }
      instance.watchdogPid = startWatchdog(dir, master.pid);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopMaster(instance.master);
      if (instance.watchdogPid !== undefined) signal(instance.watchdogPid, 'SIGTERM');
      live.delete(instance);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

async function waitUntilReady(dir: string, master: Master, imapPort: number, imapsPort: number): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (master.hasExited()) return false;
    const greeting = await readGreeting(imapPort);
    if (greeting?.startsWith('* OK') && (await portAccepts(imapsPort))) return true;
    if (/Fatal:/.test(await logTail(dir, 5))) return false;
    await sleep(30);
  }
  return false;
}

/** Starts a server, runs fn, always stops the server. */
export async function withDovecot<T>(options: DovecotOptions, fn: (server: DovecotServer) => Promise<T>): Promise<T> {
  const server = await startDovecot(options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

/** Lists the files of a user's Maildir folder (cur + new), for tests that look below IMAP. */
export async function maildirFiles(server: DovecotServer, folderPath: string, user = 'alice'): Promise<string[]> {
  const base = folderPath === '' ? server.maildirOf(user) : join(server.maildirOf(user), folderPath);
  const out: string[] = [];
  for (const sub of ['cur', 'new']) {
    try {
      for (const f of await readdir(join(base, sub))) out.push(join(base, sub, f));
    } catch {
      // folder without that subdir
    }
  }
  return out.sort();
}
