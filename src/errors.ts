// Every failure replimap reports is a ReplimapError carrying the exit code the
// CLI returns for it, so no layer needs to know about process exit codes.

export const ExitCode = {
  Ok: 0,
  /** The run finished, but some messages failed (each one is listed). */
  PartialFailure: 1,
  /** Usage or configuration error (bad option, bad URL, unreadable password file). */
  Usage: 2,
  /** Cannot connect or authenticate (refused, unreachable, TLS, wrong password). */
  Connect: 3,
  /** State file locked by another run, unusable (corrupt header, unknown version), or not writable (disk full). */
  State: 4,
  /** Mirror mode withheld deletions beyond the guard's limits (see --force). */
  GuardRefused: 5,
  /** Stopped by SIGINT after saving state. */
  Interrupted: 130,
  /** Stopped by SIGTERM after saving state. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class ReplimapError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad command line or configuration. */
export class UsageError extends ReplimapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.Usage, options);
  }
}

/** Could not reach, secure or log in to a store. `store` is "A" or "B" (or a display URL). */
export class ConnectError extends ReplimapError {
  readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super(`${store}: ${message}`, ExitCode.Connect, options);
    this.store = store;
  }
}

/** The state file cannot be used: locked by a live run, corrupt, unknown version. */
export class StateError extends ReplimapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.State, options);
  }
}

/**
 * What a store operation can fail on, whatever the driver: one message (an
 * append, a flag change), one folder (select, create), or the store itself
 * (it cannot do that at all). Failures the run goes on after are StoreErrors;
 * a connection that is gone is not (ConnectionLostError ends the run).
 */
export type StoreErrorScope = 'message' | 'folder' | 'store';

/**
 * A store refused or failed an operation; collected and reported, the run goes on.
 * `store`: the store that failed ("A" or "B"), when the driver knows it.
 * Drivers throw subclasses of their own (IMAP: ImapCommandError, src/store/imap);
 * nothing outside src/store names those.
 */
export class StoreError extends ReplimapError {
  readonly scope: StoreErrorScope;
  readonly store: string | undefined;
  constructor(scope: StoreErrorScope, message: string, options?: { cause?: unknown; store?: string }) {
    super(message, ExitCode.PartialFailure, options);
    this.scope = scope;
    this.store = options?.store;
  }
}

/** The connection dropped in the middle of a run (not a login problem). `store` is "A" or "B". */
export class ConnectionLostError extends ReplimapError {
  readonly store: string;
  constructor(store: string, message: string, options?: { cause?: unknown }) {
    super(`${store}: ${message}`, ExitCode.Connect, options);
    this.store = store;
  }
}

/** The run was asked to stop (SIGINT/SIGTERM); state has been saved. */
export class InterruptedError extends ReplimapError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`stopped by ${signal}; state saved`, signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated);
  }
}
