// The version of the global-id rule (src/sync/identity.ts, globalIdFromFields).
// The state file records it in its header: gids computed under another rule
// cannot be trusted to match new ones, so a state whose version differs is
// re-verified. Lives outside src/state and src/sync so both can import it
// without the state layer depending on sync.

/** Bump whenever globalIdFromFields would give any message another id. */
export const IDENTITY_RULE_VERSION = 1;
