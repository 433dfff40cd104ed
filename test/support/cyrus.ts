// Throwaway Cyrus IMAP 3.6 servers for integration tests: the one server here
// with OBJECTID (RFC 8474: MAILBOXID kept by RENAME), which Dovecot 2.3 lacks.
//
// Debian's cyrus-imapd package conflicts with dovecot-imapd, so .ci/run
// installs cyrus-common (master, ctl_cyrusdb), sasl2-bin (saslpasswd2) with apt
// and unpacks only cyrus-imapd's imapd into CYRUS_ROOT. Each instance gets its
// own temp dir (imapd.conf, cyrus.conf, config dir, partition, sasldb), a free
// port on 127.0.0.1 with implicit TLS (the harness's self-signed certificate),
// `conversations: 1` (OBJECTID needs it) and user alice, whose INBOX is created
// at her first login. The master runs in the foreground as our child, as root,
// and drops to the `cyrus` user the package created; Cyrus logs to syslog only.
// Nothing here imports src/.

import { chownSync, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launchForeground, portAccepts, run, stopMaster, testCertificate, type DovecotServer } from './dovecot.js';

/** Where .ci/run unpacks the cyrus-imapd package (`dpkg -x`); REPLIMAP_CYRUS_ROOT overrides it. */
export const CYRUS_ROOT = process.env.REPLIMAP_CYRUS_ROOT ?? '/opt/cyrus-imapd';
const IMAPD = join(CYRUS_ROOT, 'usr/lib/cyrus/bin/imapd');
const MASTER = '/usr/lib/cyrus/bin/master';
const CTL_CYRUSDB = '/usr/lib/cyrus/bin/ctl_cyrusdb';
const SASLPASSWD2 = '/usr/sbin/saslpasswd2';
const HOST = '127.0.0.1';
const PASSWORD = 'secret-cyrus';
const START_TIMEOUT_MS = 20_000;

/** Why Cyrus cannot run here (a missing program), or undefined when it can. */
export function cyrusMissing(): string | undefined {
  const missing = [MASTER, CTL_CYRUSDB, SASLPASSWD2, IMAPD].filter((f) => !existsSync(f));
  return missing.length === 0 ? undefined : `Cyrus IMAP is not installed (${missing.join(', ')} missing): .ci/run installs it`;
}

export type CyrusServer = Pick<DovecotServer, 'host' | 'imapsPort' | 'caFile' | 'caPem' | 'dir' | 'separator' | 'namespacePrefix' | 'passwordOf' | 'stop'> & {
  /** 'imaps://alice@127.0.0.1:40123'. */
  url(user?: string): string;
};

function uidOf(user: string): Promise<number> {
  return run('id', ['-u', user]).then((r) => Number(r.stdout.trim()));
}

function imapdConf(dir: string): string {
  return [
    `configdirectory: ${dir}/conf`,
    'defaultpartition: default',
    `partition-default: ${dir}/part`,
    `sievedir: ${dir}/sieve`,
    'admins: cyrusadmin',
    'allowplaintext: yes',
    'sasl_pwcheck_method: auxprop',
    'sasl_auxprop_plugin: sasldb',
    `sasl_sasldb_path: ${dir}/sasldb2`,
    'sasl_mech_list: PLAIN LOGIN',
    // OBJECTID (EMAILID, THREADID, MAILBOXID) needs the conversations database.
    'conversations: 1',
    // Folders at the top level, '/' as separator, as the Dovecot test servers have them.
    'unixhierarchysep: yes',
    'altnamespace: yes',
    // alice's INBOX is created at her first login.
    'autocreate_quota: 0',
    `tls_server_cert: ${dir}/cert.pem`,
    `tls_server_key: ${dir}/key.pem`,
    `idlesocket: ${dir}/run/idle`,
    `lmtpsocket: ${dir}/run/lmtp`,
    `notifysocket: ${dir}/run/notify`,
    `mboxname_lockpath: ${dir}/run/lock`,
    `proc_path: ${dir}/run/proc`,
    'syslog_prefix: replimap-cyrus',
    '',
  ].join('\n');
}

function cyrusConf(dir: string, port: number): string {
  const conf = `${dir}/imapd.conf`;
  return [
    'START {',
    `  recover cmd="${CTL_CYRUSDB} -C ${conf} -r"`,
    '}',
    'SERVICES {',
    `  imaps cmd="${IMAPD} -s -C ${conf}" listen="${HOST}:${port}" prefork=0`,
    '}',
    'EVENTS {',
    '}',
    '',
  ].join('\n');
}

/** Starts a private Cyrus imapd (implicit TLS on a free port); throws when it is not installed or does not answer. */
export async function startCyrus(): Promise<CyrusServer> {
  const missing = cyrusMissing();
  if (missing !== undefined) throw new Error(missing);
  const dir = await mkdtemp(join(tmpdir(), 'replimap-cyrus-'));
  await chmod(dir, 0o755);
  for (const sub of ['conf', 'part', 'sieve', 'run']) await mkdir(join(dir, sub));
  const cert = await testCertificate();
  const port = await freePort();
  await Promise.all([
    writeFile(join(dir, 'cert.pem'), cert.certPem),
    writeFile(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 }),
    writeFile(join(dir, 'imapd.conf'), imapdConf(dir)),
    writeFile(join(dir, 'cyrus.conf'), cyrusConf(dir, port)),
  ]);
  await run('sh', ['-c', `printf '%s' "$1" | ${SASLPASSWD2} -p -c -f "$2" alice`, 'saslpasswd2', PASSWORD, join(dir, 'sasldb2')]);
  // The master drops to `cyrus`: everything it reads or writes must be that user's.
  const [uid, gid] = await Promise.all([uidOf('cyrus'), run('id', ['-g', 'cyrus']).then((r) => Number(r.stdout.trim()))]);
  await chownTree(dir, uid, gid);
  const master = launchForeground(MASTER, ['-C', join(dir, 'imapd.conf'), '-M', join(dir, 'cyrus.conf'), '-p', join(dir, 'run/master.pid')], join(dir, 'master.log'));
  const stop = async (): Promise<void> => {
    await stopMaster(master);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await answering(port, () => master.hasExited());
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: HOST,
    imapsPort: port,
    caFile: join(dir, 'cert.pem'),
    caPem: cert.certPem,
    dir,
    separator: '/',
    namespacePrefix: '',
    url: (user = 'alice') => `imaps://${encodeURIComponent(user)}@${HOST}:${port}`,
    passwordOf: () => PASSWORD,
    stop,
  };
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  chownSync(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

/** Waits until the port takes connections (the TLS greeting is imapd's business). */
async function answering(port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('the Cyrus master exited at start (see its master.log; Cyrus logs to syslog)');
    // The master listens once its services are set up; imapd itself starts per connection.
    if (await portAccepts(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Cyrus did not answer on ${HOST}:${port} within ${START_TIMEOUT_MS} ms`);
}
