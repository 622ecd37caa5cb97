//! Run ids: what ties a security-user handle ([`super::SecurityUser`], in
//! `value.rs` with the `Value` it is a variant of) to the run that issued it.
//!
//! A security user's authority lives in the run, not in the data: the value
//! carries the id of the run that issued it, and API actions accept it only in
//! that run, and only while the agent is still active in the model.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies one run; handles from other runs are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RunId(u64);

impl RunId {
    /// The id no run has (ids start at 1): a handle read from a paused run
    /// carries it until the resumed run issues the handle again.
    pub(crate) const NONE: RunId = RunId(0);

    /// A run id no other run in this process has. Each thread takes a block
    /// of ids from the shared counter at a time, so starting a run writes
    /// no cache line that other cores write (one shared write per
    /// [`RUN_ID_BLOCK`] runs of a thread).
    pub(crate) fn next() -> RunId {
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            /// The thread's next id and the end of its block.
            static BLOCK: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        BLOCK.with(|block| {
            let (mut next, mut end) = block.get();
            if next == end {
                next = NEXT_BLOCK.fetch_add(RUN_ID_BLOCK, Ordering::Relaxed);
                end = next + RUN_ID_BLOCK;
            }
            block.set((next + 1, end));
            RunId(next)
        })
    }
}

/// How many run ids a thread takes from the shared counter at once.
const RUN_ID_BLOCK: u64 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::RunId;

    #[test]
    fn run_ids_are_unique_across_threads_and_blocks() {
        let ids: Vec<Vec<RunId>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        (0..3 * super::RUN_ID_BLOCK / 2)
                            .map(|_| RunId::next())
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut all: Vec<u64> = ids.into_iter().flatten().map(|id| id.0).collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "a run id was handed out twice");
    }
}
