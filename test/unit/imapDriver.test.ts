// The pure parts of the IMAP driver (src/store/imap): UID sets, IMAP dates,
// response parsing, connect-error wording, and SELECT / command-error handling
// driven by a scripted client instead of a server.

import fc from 'fast-check';
import compiler from 'imapflow/lib/handler/imap-compiler.js';
import { describe, expect, it, vi } from 'vitest';
import { ConnectError, ConnectionLostError } from '../../src/errors.js';
import { ImapCommandError } from '../../src/store/imap/commandError.js';
import { connectError, describeConnectFailure } from '../../src/store/imap/connect.js';
import { identityHeaders } from '../../src/store/readRules.js';
import { parseFetchRow } from '../../src/store/imap/fetchMessages.js';
import { formatImapDateTime, parseImapDateTime } from '../../src/store/imap/imapDate.js';
import type { ExecOptions, ExecResult, ImapClient, ImapResponse } from '../../src/store/imap/imapflowInternals.js';
import { startKeepAlive } from '../../src/store/imap/keepAlive.js';
import { listFolders } from '../../src/store/imap/listFolders.js';
import { literalPlusFrames } from '../../src/store/imap/literalPlus.js';
import { parseAppendUid } from '../../src/store/imap/multiAppend.js';
import { selectFolder } from '../../src/store/imap/selectFolder.js';
import { ImapSession } from '../../src/store/imap/session.js';
import { compressUids, expandUidSet, splitUidSets, uidSetMatcher } from '../../src/store/imap/uidSet.js';
import type { ImapStoreSpec } from '../../src/store/spec.js';

describe('UID sets', () => {
  it('compresses into ascending ranges and expands back', () => {
    expect(compressUids([7, 1, 2, 3, 3, 9, 10, 12])).toBe('1:3,7,9:10,12');
    expect(compressUids([])).toBe('');
    expect(expandUidSet('5:7,2,10:8')).toEqual([5, 6, 7, 2, 10, 9, 8]);
    expect(() => expandUidSet('1:*')).toThrow(/not a UID set/);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 })), (uids) => {
        expect(expandUidSet(compressUids(uids))).toEqual([...new Set(uids)].sort((a, b) => a - b));
      }),
    );
  });

  it('splits a long set into sets of bounded length that cover it exactly', () => {
    const uids = Array.from({ length: 3000 }, (_, i) => i * 2 + 1); // no two adjacent
    const sets = splitUidSets(uids, 1000);
    expect(sets.length).toBeGreaterThan(10);
    expect(sets.every((set) => set.length <= 1000)).toBe(true);
    expect(sets.flatMap(expandUidSet)).toEqual(uids);
    expect(splitUidSets([4, 5, 6])).toEqual(['4:6']);
    expect(splitUidSets([])).toEqual([]);
  });

  it('tests membership like the set it was made from, "*" included', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 })), fc.integer({ min: 1, max: 220 }), (uids, probe) => {
        if (uids.length === 0) return;
        // a deliberately unordered, overlapping set
        const set = [...uids.map(String), `${uids[0]}:${uids[uids.length - 1]}`].join(',');
        const lo = Math.min(uids[0]!, uids[uids.length - 1]!);
        const hi = Math.max(uids[0]!, uids[uids.length - 1]!);
        expect(uidSetMatcher(set)(probe)).toBe(uids.includes(probe) || (probe >= lo && probe <= hi));
      }),
    );
    expect(uidSetMatcher('5:*')(1_000_000)).toBe(true);
    expect(uidSetMatcher('5:*')(4)).toBe(false);
  });
});

describe('IMAP date-time', () => {
  it('formats in UTC with a space-padded day, and parses offsets', () => {
    expect(formatImapDateTime(new Date('2020-01-05T09:08:07Z'))).toBe(' 5-Jan-2020 09:08:07 +0000');
    expect(formatImapDateTime(new Date('2019-12-31T23:59:59.999Z'))).toBe('31-Dec-2019 23:59:59 +0000');
    expect(parseImapDateTime('17-Jul-1996 02:44:25 -0700')?.toISOString()).toBe('1996-07-17T09:44:25.000Z');
    expect(parseImapDateTime(' 1-Feb-2000 00:00:00 +0130')?.toISOString()).toBe('2000-01-31T22:30:00.000Z');
    expect(parseImapDateTime('1-Foo-2000 00:00:00 +0000')).toBeUndefined();
    expect(parseImapDateTime('yesterday')).toBeUndefined();
  });

  it('round-trips every date to the second', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        const seconds = Math.floor(date.getTime() / 1000) * 1000;
        expect(parseImapDateTime(formatImapDateTime(date))?.getTime()).toBe(seconds);
      }),
    );
  });
});

describe('responses', () => {
  it('reads APPENDUID with the UIDs in message order', () => {
    const ok = (section: unknown[]): ImapResponse =>
      ({ tag: 'A1', command: 'OK', attributes: [{ type: 'ATOM', value: '', section }, { type: 'TEXT', value: 'done' }] }) as ImapResponse;
    expect(parseAppendUid(ok([{ type: 'ATOM', value: 'APPENDUID' }, { type: 'ATOM', value: '38505' }, { type: 'SEQUENCE', value: '3955:3957,3960' }]))).toEqual({
      uidValidity: 38505n,
      uids: [3955, 3956, 3957, 3960],
    });
    expect(parseAppendUid(ok([{ type: 'ATOM', value: 'APPENDUID' }, { type: 'ATOM', value: '1' }, { type: 'ATOM', value: '7' }]))).toEqual({
      uidValidity: 1n,
      uids: [7],
    });
    expect(parseAppendUid(ok([{ type: 'ATOM', value: 'READ-WRITE' }]))).toEqual({});
    expect(parseAppendUid({ tag: 'A1', command: 'OK' } as ImapResponse)).toEqual({});
  });

  it('parses a FETCH row, its header block and body, and MODSEQ as bigint', () => {
    const row = parseFetchRow({
      tag: '*',
      command: '4',
      attributes: [
        { type: 'ATOM', value: 'FETCH' },
        [
          { type: 'ATOM', value: 'UID' },
          { type: 'ATOM', value: '17' },
          { type: 'ATOM', value: 'FLAGS' },
          [{ type: 'ATOM', value: '\\Seen' }, { type: 'ATOM', value: '$Work' }],
          { type: 'ATOM', value: 'MODSEQ' },
          [{ type: 'ATOM', value: '9007199254740993' }],
          { type: 'ATOM', value: 'RFC822.SIZE' },
          { type: 'ATOM', value: '1234' },
          { type: 'ATOM', value: 'INTERNALDATE' },
          { type: 'STRING', value: '01-Jan-2020 09:00:00 +0100' },
          { type: 'ATOM', value: 'BODY', section: [{ type: 'ATOM', value: 'HEADER.FIELDS' }, [{ type: 'ATOM', value: 'SUBJECT' }]] },
          { type: 'LITERAL', value: Buffer.from('Subject: hi\r\n\r\n') },
          { type: 'ATOM', value: 'BODY', section: [] },
          { type: 'LITERAL', value: Buffer.from([0, 1, 2, 255]) },
        ],
      ],
    } as ImapResponse);
    expect(row).toEqual({
      uid: 17,
      flags: ['\\Seen', '$Work'],
      modseq: 9007199254740993n,
      size: 1234,
      internalDate: new Date('2020-01-01T08:00:00Z'),
      headers: Buffer.from('Subject: hi\r\n\r\n'),
      body: Buffer.from([0, 1, 2, 255]),
    });
    expect(identityHeaders(row.headers)).toBe('Subject: hi\r\n');
    expect(identityHeaders(Buffer.from('\r\n'))).toBe('');
    expect(identityHeaders(undefined)).toBe('');
  });

  it('a FETCH row with BODY[] NIL (Dovecot: expunged by another session) has no body; a 0-byte literal is an empty one', () => {
    const rowWithBody = (value: unknown): ReturnType<typeof parseFetchRow> => parseFetchRow({
      tag: '*',
      command: '4',
      attributes: [
        { type: 'ATOM', value: 'FETCH' },
        [{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '4' }, { type: 'ATOM', value: 'BODY', section: [] }, value],
      ],
    } as ImapResponse);
    expect(rowWithBody(null)).toEqual({ uid: 4 });
    expect(rowWithBody({ type: 'LITERAL', value: Buffer.alloc(0) })).toEqual({ uid: 4, body: Buffer.alloc(0) });
  });
});

describe('LITERAL+ frames', () => {
  it('are the bytes imapflow would compile, with each literal\'s data as its own uncopied slices', () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024, 'a');
    const small = Buffer.from('Subject: x\r\n\r\n\x00bin\r\n', 'latin1');
    const request = {
      tag: 'A7',
      command: 'APPEND',
      attributes: [
        { type: 'STRING' as const, value: 'Archive/2024' },
        [{ type: 'ATOM' as const, value: '\\Seen' }],
        { type: 'STRING' as const, value: ' 1-Jan-2024 10:00:00 +0000' },
        { type: 'LITERAL' as const, value: big },
        [],
        { type: 'STRING' as const, value: ' 2-Jan-2024 10:00:00 +0000' },
        { type: 'LITERAL' as const, value: small, isLiteral8: true },
      ],
    };
    const frames = literalPlusFrames(request)!;
    const expected = compiler(request as Parameters<typeof compiler>[0], { literalPlus: true }) as unknown as Buffer;
    expect(Buffer.concat(frames).equals(expected)).toBe(true);
    // The big message is never copied: its frames are views of its own memory.
    const views = frames.filter((frame) => frame.buffer === big.buffer);
    expect(views.reduce((sum, frame) => sum + frame.length, 0)).toBe(big.length);
    expect(literalPlusFrames({ tag: 'A8', command: 'NOOP' })).toBeUndefined();
  });
});

describe('connect failures', () => {
  const spec: ImapStoreSpec = {
    kind: 'imap',
    host: 'mail.example.org',
    port: 993,
    security: 'tls',
    user: 'alice',
    password: 's3cret-pw',
    insecure: false,
    displayUrl: 'imaps://alice@mail.example.org',
  };
  const failure = (props: Record<string, unknown>): Error => Object.assign(new Error(String(props.message ?? 'failed')), props);

  it('names the cause in one line', () => {
    const refused = Object.assign(new AggregateError([failure({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED ::1:993' })], ''), {});
    expect(describeConnectFailure(spec, refused)).toBe('cannot connect to mail.example.org:993: connection refused');
    expect(describeConnectFailure(spec, failure({ code: 'ENOTFOUND' }))).toBe('host not found: mail.example.org');
    expect(describeConnectFailure(spec, failure({ code: 'CONNECT_TIMEOUT' }))).toBe('timed out connecting to mail.example.org:993');
    expect(describeConnectFailure({ ...spec, security: 'starttls' }, failure({ tlsFailed: true, message: 'Server does not support STARTTLS' }))).toBe(
      'mail.example.org:993 does not offer STARTTLS; use imaps://, or --insecure to allow a plaintext login',
    );
    expect(
      describeConnectFailure({ ...spec, security: 'starttls' }, failure({ tlsFailed: true, message: 'Server does not support STARTTLS' }), 'NO not now'),
    ).toBe('mail.example.org:993 refused STARTTLS: not now');
    expect(describeConnectFailure(spec, failure({ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }))).toBe(
      'TLS certificate of mail.example.org is not valid (certificate has expired); use --insecure to accept it anyway',
    );
    expect(
      describeConnectFailure(spec, failure({ authenticationFailed: true, serverResponseCode: 'UNAVAILABLE', responseText: 'Try again later' })),
    ).toBe('login failed for user alice (wrong password?): server said "Try again later"');
  });

  it('a login refused for too many connections says so, not "wrong password"', () => {
    const limit = (responseText: string): Error =>
      failure({ authenticationFailed: true, serverResponseCode: 'LIMIT', responseText });
    expect(describeConnectFailure(spec, limit('Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)'))).toBe(
      'too many connections for user alice: the server allows 10',
    );
    expect(describeConnectFailure(spec, limit('Too many sessions'))).toBe('too many connections for user alice: server said "Too many sessions"');
  });

  it('never shows the password, even when an error carries it', () => {
    const error = connectError('B', spec, failure({ message: 'weird server echo s3cret-pw\nsecond line' }));
    expect(error).toBeInstanceOf(ConnectError);
    expect(error.message).toBe('B: cannot connect to mail.example.org:993: weird server echo ***');
    expect(error.exitCode).toBe(3);
  });
});

/** A client whose exec() plays back untagged responses, then resolves or rejects. */
function scriptedClient(
  script: (command: string, options: ExecOptions, attributes: unknown) => Promise<ImapResponse>,
  capabilities: string[] = [],
): ImapClient {
  const fake = {
    usable: true,
    enabled: new Set<string>(),
    capabilities: new Map<string, boolean>(capabilities.map((c) => [c, true])),
    exec: async (command: string, attributes: unknown, options: ExecOptions = {}): Promise<ExecResult> => ({
      response: await script(command, options, attributes),
      next: () => undefined,
    }),
  };
  return fake as unknown as ImapClient;
}

const untagged = (command: string, ...attributes: unknown[]): ImapResponse => ({ tag: '*', command, attributes }) as ImapResponse;
const code = (name: string, value?: unknown): ImapResponse =>
  untagged('OK', { type: 'ATOM', value: '', section: [{ type: 'ATOM', value: name }, ...(value === undefined ? [] : [value])] });

describe('SELECT', () => {
  const newMailbox = [
    untagged('FLAGS', [{ type: 'ATOM', value: '\\Seen' }]),
    code('PERMANENTFLAGS', [{ type: 'ATOM', value: '\\Seen' }, { type: 'ATOM', value: '\\*' }]),
    untagged('3', { type: 'ATOM', value: 'EXISTS' }),
    code('UIDVALIDITY', { type: 'ATOM', value: '77' }),
    code('UIDNEXT', { type: 'ATOM', value: '10' }),
    code('HIGHESTMODSEQ', { type: 'ATOM', value: '500' }),
    untagged('VANISHED', [{ type: 'ATOM', value: 'EARLIER' }], { type: 'SEQUENCE', value: '4:5' }),
    untagged('2', { type: 'ATOM', value: 'FETCH' }, [
      { type: 'ATOM', value: 'UID' },
      { type: 'ATOM', value: '8' },
      { type: 'ATOM', value: 'FLAGS' },
      [{ type: 'ATOM', value: '\\Seen' }],
    ]),
  ];
  const play = (before: ImapResponse[]) =>
    scriptedClient(async (_command, options) => {
      for (const response of [...before, ...newMailbox]) {
        const name = /^\d+$/.test(response.command!) ? String((response.attributes![0] as { value: string }).value) : response.command!;
        await options.untagged?.[name]?.(response);
      }
      return { tag: 'A1', command: 'OK', attributes: [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: 'READ-WRITE' }] }] } as ImapResponse;
    });

  it("ignores what came before [CLOSED]: it was about the previous folder", async () => {
    const oldFolder = [
      untagged('9', { type: 'ATOM', value: 'EXISTS' }),
      untagged('VANISHED', { type: 'SEQUENCE', value: '1:3' }),
      untagged('1', { type: 'ATOM', value: 'FETCH' }, [{ type: 'ATOM', value: 'UID' }, { type: 'ATOM', value: '2' }, { type: 'ATOM', value: 'FLAGS' }, []]),
      code('CLOSED'),
    ];
    const session = new ImapSession('A', play(oldFolder), 'host:143');
    const selected = await selectFolder(session, 'INBOX', false, { uidValidity: 77n, highestModseq: 400n });
    expect(selected).toMatchObject({ uidValidity: 77n, uidNext: 10, highestModseq: 500n, exists: 3, readOnly: false, permanentFlags: ['\\Seen', '\\*'] });
    expect(selected.qresync?.vanished).toEqual([4, 5]);
    expect([...selected.qresync!.changed.keys()]).toEqual([8]);
  });

  it('reports no QRESYNC result when UIDVALIDITY changed', async () => {
    const session = new ImapSession('A', play([]), 'host:143');
    const selected = await selectFolder(session, 'INBOX', false, { uidValidity: 76n, highestModseq: 400n });
    expect(selected.uidValidity).toBe(77n);
    expect(selected.qresync).toBeUndefined();
  });
});

describe('LIST', () => {
  it('falls back to LIST + LSUB + STATUS when a server rejects the RETURN options it advertises', async () => {
    const sent: string[] = [];
    const listLine = (flags: string[], name: string): ImapResponse =>
      untagged('LIST', flags.map((value) => ({ type: 'ATOM', value })), { type: 'STRING', value: '/' }, { type: 'STRING', value: name });
    const client = scriptedClient(
      async (command, options, attributes) => {
        const withReturn = Array.isArray(attributes) && attributes.some((a) => (a as { value?: string })?.value === 'RETURN');
        sent.push(withReturn ? `${command} RETURN` : command);
        if (withReturn) throw Object.assign(new Error('Command failed'), { responseStatus: 'BAD', responseText: 'Unknown RETURN option' });
        const lines =
          command === 'LIST'
            ? [listLine(['\\HasChildren'], 'INBOX'), listLine(['\\Noselect'], 'Archiv'), listLine(['\\Sent'], 'Gesendete Objekte'), listLine([], 'Entw&APw-rfe')]
            : command === 'LSUB'
              ? [untagged('LSUB', [], { type: 'STRING', value: '/' }, { type: 'STRING', value: 'Entw&APw-rfe' })]
              : [untagged('STATUS', { type: 'STRING', value: (attributes as { value: string }[])[0]!.value }, [
                  { type: 'ATOM', value: 'MESSAGES' }, { type: 'ATOM', value: '2' },
                  { type: 'ATOM', value: 'UIDNEXT' }, { type: 'ATOM', value: '3' },
                  { type: 'ATOM', value: 'UIDVALIDITY' }, { type: 'ATOM', value: '9' },
                ])];
        for (const line of lines) await options.untagged?.[line.command!]?.(line);
        return { tag: 'A1', command: 'OK' } as ImapResponse;
      },
      ['IMAP4rev1', 'LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE'],
    );
    const folders = await listFolders(new ImapSession('A', client, 'h:1'), true, false);
    expect(sent).toEqual(['LIST RETURN', 'LIST', 'LSUB', 'STATUS', 'STATUS', 'STATUS']);
    expect(folders).toEqual([
      { name: 'INBOX', delimiter: '/', subscribed: false, selectable: true, status: { messages: 2, uidNext: 3, uidValidity: 9n } },
      { name: 'Archiv', delimiter: '/', subscribed: false, selectable: false },
      { name: 'Gesendete Objekte', delimiter: '/', subscribed: false, selectable: true, specialUse: '\\Sent', status: { messages: 2, uidNext: 3, uidValidity: 9n } },
      { name: 'Entwürfe', delimiter: '/', subscribed: true, selectable: true, status: { messages: 2, uidNext: 3, uidValidity: 9n } },
    ]);
  });
});

describe('command errors', () => {
  it('NO/BAD become ImapCommandError with the server text and code; a lost connection ConnectionLostError', async () => {
    const refusing = scriptedClient(async () => {
      throw Object.assign(new Error('Command failed'), {
        responseStatus: 'NO',
        responseText: 'Mailbox does not exist',
        response: { tag: 'A1', command: 'NO', attributes: [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: 'TRYCREATE' }] }, { type: 'TEXT', value: 'Mailbox does not exist' }] },
      });
    });
    const error = await new ImapSession('B', refusing, 'h:1').run('APPEND', false, 'APPEND to "X"').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImapCommandError);
    expect(error).toMatchObject({ command: 'APPEND', responseCode: 'TRYCREATE', serverText: 'Mailbox does not exist' });
    expect((error as Error).message).toBe('B: APPEND to "X" failed: NO [TRYCREATE] Mailbox does not exist');

    const gone = scriptedClient(async () => {
      throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
    });
    const session = new ImapSession('B', gone, 'h:1');
    const lost = await session.run('NOOP', false, 'NOOP').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(ConnectionLostError);
    expect((lost as Error).message).toBe('B: connection to h:1 lost during NOOP: Connection not available');
    // and every later command fails the same way without being sent
    const again = await session.run('LIST', false, 'LIST').catch((e: unknown) => e);
    expect((again as Error).message).toBe('B: connection to h:1 lost during LIST: Connection not available');
  });

  it('a server silent for the whole --timeout: the message names the store, the command and the timeout', async () => {
    let session!: ImapSession;
    const silent = scriptedClient(async () => {
      // imapflow's socket timeout: the 'error' event first, then the pending command is rejected
      Object.assign(silent, { currentRequest: { tag: 'A1' } });
      session.noteError(Object.assign(new Error('Socket timeout'), { code: 'ETIMEOUT' }));
      throw Object.assign(new Error('Connection not available'), { code: 'NoConnection' });
    });
    session = new ImapSession('B', silent, 'h:1', 60_000);
    const lost = await session.run('UID FETCH', false, 'UID FETCH in "INBOX"').catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(ConnectionLostError);
    expect((lost as Error).message).toBe('B: no answer from h:1 for 60 s during UID FETCH in "INBOX" (--timeout)');
    const later = await session.run('LIST', false, 'LIST').catch((e: unknown) => e);
    expect((later as Error).message).toBe('B: no answer from h:1 for 60 s during UID FETCH in "INBOX"; LIST not sent (--timeout)');
  });
});

describe('keep-alive', () => {
  const keepAliveRun = (timeoutMs: number): { sent: string[]; stats: { commands: number; continuations: number; lastCommandAt: number }; stop: () => void } => {
    const sent: string[] = [];
    const client = scriptedClient(async (command) => {
      sent.push(command);
      return { tag: 'A1', command: 'OK' } as ImapResponse;
    });
    Object.assign(client, { currentRequest: false });
    const stats = { commands: 0, continuations: 0, lastCommandAt: Date.now() };
    const stop = startKeepAlive(new ImapSession('A', client, 'h:1'), stats, timeoutMs);
    return { sent, stats, stop };
  };

  it('with a long timeout: a NOOP after four quiet minutes, and none while commands flow', async () => {
    vi.useFakeTimers();
    try {
      const { sent, stats, stop } = keepAliveRun(60 * 60_000);
      await vi.advanceTimersByTimeAsync(3 * 60_000);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(70_000);
      expect(sent).toEqual(['NOOP']);
      // a command just went out: quiet again for four minutes
      stats.lastCommandAt = Date.now();
      await vi.advanceTimersByTimeAsync(3 * 60_000);
      expect(sent).toEqual(['NOOP']);
      stop();
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(sent).toEqual(['NOOP']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with --timeout 60: a NOOP after half of it, well before imapflow would drop the idle connection', async () => {
    vi.useFakeTimers();
    try {
      const { sent, stop } = keepAliveRun(60_000);
      await vi.advanceTimersByTimeAsync(29_000);
      expect(sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(sent).toEqual(['NOOP']);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
