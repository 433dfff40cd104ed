// A child process for the state tests, run with `node --import tsx`:
//   hold <statePath>   open the state, print "ready", keep it (and its lock)
//                      until stdin closes, then close cleanly. If the open
//                      fails with a StateError: print "refused", exit 4.
//   churn <statePath> <run>
//                      apply churnOp(1, run), churnOp(2, run), … forever, flushing every
//                      few ops and printing "flushed <n>" once ops 1..n are
//                      durable; commits now and then. Meant to be SIGKILLed.
//   renames <statePath>
//                      the same with renameOp(1), renameOp(2), … (a folder pair
//                      renamed every third op) in a fresh state.
import { StateError } from '../../src/errors.js';
import { SyncState } from '../../src/state/SyncState.js';
import { STATE_TEST_IDENTITY, churnFolder, churnOp, renameOp, renamedFolder } from './stateOps.js';

const [, , mode, path, runArg] = process.argv;
if (path === undefined) throw new Error('usage: stateChild hold|churn|renames <statePath>');

if (mode === 'hold') {
  let state: SyncState;
  try {
    state = await SyncState.open(path, STATE_TEST_IDENTITY);
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    process.stdout.write(`refused ${e.message}\n`);
    process.exit(4);
  }
  process.stdout.write(`ready ${state.warnings.join(' / ')}\n`);
  process.stdin.resume();
  await new Promise<void>((resolve) => process.stdin.on('end', resolve));
  await state.close();
} else if (mode === 'churn') {
  const run = Number(runArg ?? 0);
  const state = await SyncState.open(path, STATE_TEST_IDENTITY);
  state.apply({ op: 'folder', ...churnFolder(run) });
  for (let n = 1; ; n++) {
    state.apply(churnOp(n, run));
    if (n % 5 === 0) {
      await state.flush();
      process.stdout.write(`flushed ${n}\n`);
    }
    if (n % 300 === 0) await state.commit();
  }
} else if (mode === 'renames') {
  const state = await SyncState.open(path, STATE_TEST_IDENTITY);
  state.apply({ op: 'folder', ...renamedFolder(0) });
  for (let n = 1; ; n++) {
    state.apply(renameOp(n));
    if (n % 5 === 0) {
      await state.flush();
      process.stdout.write(`flushed ${n}\n`);
    }
    if (n % 200 === 0) await state.commit();
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
