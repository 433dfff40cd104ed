// What the engine property tests (copy and mirror, two-way) share: the mail
// they append (a message by number, Message-ID-less twins), how their steps
// print, and the step that kills a run.

import fc from 'fast-check';
import type { KillMoment } from './memoryKill.js';

/** A message: `n` with its own Message-ID, or version `v` of Message-ID-less twin `n` (same headers, same size). */
export type Mail = { n: number } | { twin: number; v: number };

/** "m3", or "t0.1" for version 1 of twin 0. */
export function mailText(mail: Mail): string {
  return 'n' in mail ? `m${mail.n}` : `t${mail.twin}.${mail.v}`;
}

export function rawMail(mail: Mail): Buffer {
  if ('n' in mail) {
    return Buffer.from(
      `Message-ID: <p${mail.n}@replimap.test>\r\nDate: Wed, 2 Jan 2019 09:00:0${mail.n} +0000\r\n` +
        `From: s${mail.n}@example.org\r\nSubject: message ${mail.n}\r\n\r\nbody of message ${mail.n}\r\n`,
    );
  }
  // No Message-ID: the twins share a global id and a size, only their bodies tell them apart.
  return Buffer.from(
    `Date: Thu, 3 Jan 2019 10:00:0${mail.twin} +0000\r\nFrom: twin${mail.twin}@example.org\r\n` +
      `Subject: twin ${mail.twin}\r\n\r\nversion ${mail.v} of twin ${mail.twin}\r\n`,
  );
}

/** A step that prints compactly in a counterexample (fast-check uses this method). */
export function printable<T extends object>(step: T, text: (step: T) => string): T {
  const copy = { ...step };
  return Object.defineProperty(copy, fc.toStringMethod, { value: () => text(copy), enumerable: false });
}

/** A run killed at its (op+1)-th store operation, or at its (op+1)-th write with `writes`. */
export interface KillStep {
  t: 'kill';
  when: KillMoment;
  writes: boolean;
  op: number;
}

export const killStepArb: fc.Arbitrary<KillStep> = fc.record({
  t: fc.constant('kill' as const),
  when: fc.constantFrom<KillMoment>('before', 'after'),
  // Mostly at a write: most operations of a run are reads, and a kill at a read is simple.
  writes: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  op: fc.nat({ max: 2 }),
});

/** "+\Seen+kw-\Flagged": flags added, then removed. */
export function flagText(add: readonly string[], remove: readonly string[] = []): string {
  return [...add.map((f) => `+${f}`), ...remove.map((f) => `-${f}`)].join('');
}

/** The flags flagText wrote with that sign ('+' added, '-' removed). */
export function flagList(list = '', sign: '+' | '-'): string[] {
  return (list.match(/[+-][^+-]+/g) ?? []).filter((f) => f[0] === sign).map((f) => f.slice(1));
}

/** 'A' or 'B' as steps print a side. */
export const parseSide = (letter: string): 'a' | 'b' => (letter === 'A' ? 'a' : 'b');

/** A folder's index in the test's folder list. */
export function folderIndex(folders: readonly string[], name: string): number {
  const i = folders.indexOf(name);
  if (i < 0) throw new Error(`unknown folder ${name}`);
  return i;
}
