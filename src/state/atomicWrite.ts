// Crash-safe file replacement: a reader sees either the old file or the
// complete new one, never a mix, even after a power loss.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Creates `dir` (and missing parents) with mode 0700 when it does not exist. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await stat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
}

/** Makes a rename, creation or removal in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Collects text into large chunks so a big file is written in few system calls. */
export class ChunkWriter {
  private parts: string[] = [];
  private pending = 0;
  private position = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly chunkSize = 1 << 20,
  ) {}

  async text(s: string): Promise<void> {
    this.parts.push(s);
    this.pending += s.length;
    if (this.pending >= this.chunkSize) await this.drain();
  }

  async bytes(buf: Buffer): Promise<void> {
    await this.drain();
    await this.writeAll(buf);
  }

  async drain(): Promise<void> {
    if (this.parts.length === 0) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    await this.writeAll(buf);
  }

  private async writeAll(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.fh.write(buf, off, buf.length - off, this.position);
      off += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

/** The name prefix of the temp files replaceFile uses for `path`. */
function tempFilePrefix(path: string): string {
  return `.${basename(path)}.tmp-`;
}

/**
 * Replace `path` by what `produce` writes, atomically (temp file, fsync,
 * rename), without the final directory fsync: the caller records that the
 * rename happened before anything else can fail, then fsyncs the directory.
 */
export async function replaceFile(path: string, produce: (out: ChunkWriter) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${tempFilePrefix(path)}${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o600);
  let renamed = false;
  try {
    try {
      await fh.chmod(0o600); // the mode given to open() is filtered by the umask
      const out = new ChunkWriter(fh);
      await produce(out);
      await out.drain();
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Removes temp files a killed writer of `path` left behind. Only safe while
 * holding the lock that serialises writers of `path`.
 */
export async function removeTempFiles(path: string): Promise<void> {
  const prefix = tempFilePrefix(path);
  const dir = dirname(path);
  for (const name of await readdir(dir)) {
    if (name.startsWith(prefix)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
