// `replimap list A`: the folders of one store with special use, subscription,
// message count and total size; a table on stdout, or JSON.

import { resolvePassword } from '../config/credentials.js';
import { buildStoreSpec } from '../config/storeSpec.js';
import { parseStoreUrl } from '../config/storeUrl.js';
import type { FolderInfo } from '../store/types.js';
import type { CliContext } from './context.js';
import { formatBytes } from './output/format.js';
import { LineLog } from './output/reporter.js';
import { toJsonText } from './output/summary.js';
import type { ListCommandOptions } from './program.js';
import { INSECURE_WARNING, type RunFlags } from './syncCommand.js';
import { inboxFirst } from '../store/names.js';

interface ListedFolder {
  name: string;
  delimiter: string | null;
  specialUse: string | null;
  subscribed: boolean;
  selectable: boolean;
  /** null for folders that cannot hold messages (\Noselect). */
  messages: number | null;
  bytes: number | null;
}

export async function runListCommand(a: string, options: ListCommandOptions, ctx: CliContext, flags: RunFlags): Promise<number> {
  flags.verbose = options.verbose;
  flags.json = options.json;
  const url = parseStoreUrl(a, 'A');
  const resolved = await resolvePassword('A', {
    env: ctx.env,
    ...(options.passwordFile !== undefined && { passwordFile: options.passwordFile }),
    ...(options.passwordCommand !== undefined && { passwordCommand: options.passwordCommand }),
    ...(url.passwordInUrl !== undefined && { urlPassword: url.passwordInUrl }),
    optionNames: { file: '--password-file', command: '--password-command' },
  });
  const spec = await buildStoreSpec(url, resolved.password, {
    ...(options.tlsCa !== undefined && { tlsCaFile: options.tlsCa }),
    insecure: options.insecure,
    timeoutMs: options.timeout * 1000,
  });
  const log = new LineLog(ctx.stderr, !ctx.stderr.isTTY, ctx.now);
  const warnings = [...resolved.warnings, ...(options.insecure ? [INSECURE_WARNING] : [])];
  if (!options.json) for (const w of warnings) log.line(`warning: ${w}`);

  const store = await ctx.createStore('A', spec);
  let folders: ListedFolder[];
  try {
    await store.connect();
    const infos = await store.listFolders({ status: true });
    folders = [];
    for (const info of sortFolders(infos)) {
      const bytes = info.selectable ? await store.folderSize(info.name) : null;
      folders.push(toListed(info, bytes));
    }
  } finally {
    await store.close();
  }

  if (options.json) {
    ctx.stdout.write(`${toJsonText({ store: url.displayUrl, folders, warnings })}\n`);
  } else {
    ctx.stdout.write(formatFolderTable(folders));
  }
  return 0;
}

function toListed(info: FolderInfo, bytes: number | null): ListedFolder {
  return {
    name: info.name,
    delimiter: info.delimiter,
    specialUse: info.specialUse ?? null,
    subscribed: info.subscribed,
    selectable: info.selectable,
    messages: info.selectable ? (info.status?.messages ?? null) : null,
    bytes,
  };
}

/** INBOX first, then by name (so children follow their parent). */
function sortFolders(folders: FolderInfo[]): FolderInfo[] {
  return [...folders].sort((x, y) => inboxFirst(x.name, y.name));
}

function formatFolderTable(folders: ListedFolder[]): string {
  const rows = folders.map((f) => [
    f.name,
    f.specialUse ?? '',
    f.subscribed ? 'yes' : 'no',
    f.messages === null ? '-' : String(f.messages),
    f.bytes === null ? '-' : formatBytes(f.bytes),
  ]);
  const header = ['FOLDER', 'SPECIAL-USE', 'SUBSCRIBED', 'MESSAGES', 'SIZE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rightAligned = new Set([3, 4]);
  const render = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const messages = folders.reduce((n, f) => n + (f.messages ?? 0), 0);
  const bytes = folders.reduce((n, f) => n + (f.bytes ?? 0), 0);
  const total = `${folders.length} folder${folders.length === 1 ? '' : 's'}, ${messages} message${messages === 1 ? '' : 's'}, ${formatBytes(bytes)}`;
  return `${[render(header), ...rows.map(render)].join('\n')}\n${total}\n`;
}
