//! The exit codes of every command.
//!
//! 0 completed (or check clean), 1 stopped by an unhandled action error,
//! 2 bad input (script does not parse or check, unreadable file, bad tenant
//! file, bad command line, an output that cannot be written or would replace
//! an input, an event that does not fit the run's wait, events left
//! unused), 3 a limit was exceeded, 4 a write refused because its file
//! changed since it was read (`--save`, `fmt`), 5 the run waits (`run`,
//! `resume`: its events ran out).

/// Exit code: the run completed, or `check` found no error.
pub(super) const EXIT_OK: i32 = 0;
/// Exit code: an action failed with no Error branch connected.
pub(super) const EXIT_STOPPED: i32 = 1;
/// Exit code: bad input of any kind.
pub(super) const EXIT_INPUT: i32 = 2;
/// Exit code: the step budget (or another limit) was exceeded.
pub(super) const EXIT_LIMIT: i32 = 3;
/// Exit code: `--save` refused to overwrite a tenant file that changed since
/// it was loaded (another writer not taking the lock); nothing was saved.
pub(super) const EXIT_SAVE_CONFLICT: i32 = 4;
/// Exit code: the run waits (for digits, time, an HTTP reply or an event)
/// and no event was left to resume it; `--pause` wrote it.
pub(super) const EXIT_WAITING: i32 = 5;
