// The two-way scenario's starting point (issue 8 §4): the bench corpus split
// between two servers. By top-level folder, in corpus order: every third folder
// is on both sides with different mail (alternate messages), the others only on
// A or only on B. An exact duplicate stays on the side of its original, so a
// tool that pairs equal messages across sides is not blamed for it. What a
// correct two-way run yields is the whole corpus on both sides.

import type { CorpusPlan } from './benchCorpus.js';
import { generateCorpus } from './benchCorpus.js';
import { digestOf, type MailboxDigest } from './readback.js';
import type { SeedMessage } from './maildirSeeder.js';
import { writeMaildir } from './maildirSeeder.js';

export type Side = 'a' | 'b';
export const SIDES: readonly Side[] = ['a', 'b'];
export type Placement = Side | 'both';

/** UIDVALIDITY of each side's seeded folders: two servers never share one by design. */
const UID_VALIDITY: Record<Side, number> = { a: 1_700_000_000, b: 1_800_000_000 };

/** Where a folder starts: children follow their top-level parent, so no side holds a child without its parent. */
export function placementOf(folder: string, plan: CorpusPlan): Placement {
  const top = plan.folders.indexOf(folder.split('/')[0]!);
  const index = top >= 0 ? top : plan.folders.indexOf(folder);
  return (['both', 'a', 'b'] as const)[index % 3]!;
}

/** The corpus with the side each message starts on. Deterministic, so it can be walked once per side. */
function* placedCorpus(plan: CorpusPlan): Generator<{ message: SeedMessage; side: Side; sha256: string }> {
  let folder = '';
  let index = 0;
  let sideOfBody = new Map<string, Side>();
  for (const message of generateCorpus(plan)) {
    if (message.folder !== folder) {
      folder = message.folder;
      index = 0;
      sideOfBody = new Map();
    }
    const { sha256 } = digestOf(message.raw, [], message.internalDate);
    const placement = placementOf(folder, plan);
    const side = placement !== 'both' ? placement : (sideOfBody.get(sha256) ?? (index % 2 === 0 ? 'a' : 'b'));
    sideOfBody.set(sha256, side);
    index++;
    yield { message, side, sha256 };
  }
}

export interface TwoWayTemplate {
  plan: CorpusPlan;
  /** Maildir template of each side. */
  dirs: Record<Side, string>;
  /** What both sides should read back as after a correct two-way run: the whole corpus. */
  expected: MailboxDigest;
  messages: Record<Side, number>;
  bytes: Record<Side, number>;
}

/** Writes each side's Maildir template under workRoot (two passes over the seeded corpus). */
export async function buildTwoWayTemplate(plan: CorpusPlan, workRoot: string, id: string): Promise<TwoWayTemplate> {
  const template: TwoWayTemplate = {
    plan,
    dirs: { a: `${workRoot}/template-${id}-a`, b: `${workRoot}/template-${id}-b` },
    expected: new Map(),
    messages: { a: 0, b: 0 },
    bytes: { a: 0, b: 0 },
  };
  for (const side of SIDES) {
    const ofSide = function* (): Generator<SeedMessage> {
      for (const placed of placedCorpus(plan)) {
        if (placed.side !== side) continue;
        const m = placed.message;
        const list = template.expected.get(m.folder) ?? [];
        list.push(digestOf(m.raw, m.flags, m.internalDate));
        template.expected.set(m.folder, list);
        template.messages[side]++;
        template.bytes[side] += m.raw.length;
        yield m;
      }
    };
    await writeMaildir(template.dirs[side], ofSide(), { uidValidity: UID_VALIDITY[side] });
  }
  return template;
}
