// Big literals received in one copy.
//
// imapflow's response parser (ImapStream) keeps a literal's bytes as the
// socket chunks that carried them and joins them with Buffer.concat once the
// literal is complete: for a moment a 40 MB message is in memory twice, and
// the chunks stay until the garbage collector gets to them. For a literal of
// at least PREALLOCATE_FROM bytes this copies each chunk, as it arrives, into
// one buffer of the announced size (the parser has already checked that size
// against its limit, see fetchBodies.ts), so the literal costs its size once.
// Smaller literals, and everything else the parser does, stay imapflow's.

import type { ImapClient } from './imapflowInternals.js';

/** ImapStream's parser states (imapflow/lib/handler/imap-stream.js). */
const LINE = 0x01;
const LITERAL = 0x02;

/** Literals smaller than this are left to imapflow (its chunks are then no worse than one copy). */
const PREALLOCATE_FROM = 256 * 1024;

/** The parts of ImapStream this relies on (internal to imapflow). */
interface StreamInternals {
  destroyed: boolean;
  state: number;
  literalWaiting: number;
  literalBuffer: Buffer[];
  literals: Buffer[];
  processChunkSegment(this: StreamInternals, chunk: Buffer, startPos: number): Promise<number | null>;
}

export function installOneCopyLiterals(client: ImapClient): void {
  const stream = client.streamer as unknown as StreamInternals;
  const imapflowSegment = stream.processChunkSegment;
  if (typeof imapflowSegment !== 'function' || !Array.isArray(stream.literalBuffer) || !Array.isArray(stream.literals)) {
    throw new Error('imapflow internals changed: ImapStream.processChunkSegment/literalBuffer not found');
  }
  /** The literal being received into one buffer, and how much of it has arrived. */
  let target: Buffer | undefined;
  let filled = 0;

  stream.processChunkSegment = async function processChunkSegment(chunk, startPos) {
    if (this.destroyed || startPos >= chunk.length || this.state !== LITERAL) return imapflowSegment.call(this, chunk, startPos);
    if (!target) {
      // Take over only at a literal's first byte, and only for a big one.
      if (this.literalBuffer.length > 0 || this.literalWaiting < PREALLOCATE_FROM) return imapflowSegment.call(this, chunk, startPos);
      target = Buffer.allocUnsafe(this.literalWaiting);
      filled = 0;
    }
    const count = Math.min(chunk.length - startPos, this.literalWaiting);
    chunk.copy(target, filled, startPos, startPos + count);
    filled += count;
    this.literalWaiting -= count;
    if (this.literalWaiting > 0) return null;
    this.literals.push(target);
    target = undefined;
    this.state = LINE;
    return startPos + count < chunk.length ? startPos + count : null;
  };
}
