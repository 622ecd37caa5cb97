//! [`ActionHandler`]: what runs when an action executes.

use super::{ActionCall, ActionError, BranchId};

/// What runs when an action executes.
///
/// Closures `Fn(&mut ActionCall) -> Result<BranchId, ActionError>` implement it.
///
/// ```
/// use studioflow::{ActionCall, ActionError, ActionHandler, BranchId};
/// struct Nothing;
/// impl ActionHandler for Nothing {
///     fn execute(&self, _call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
///         Ok(BranchId::DEFAULT)
///     }
/// }
/// ```
pub trait ActionHandler: Send + Sync {
    /// Runs the action and names the branch to take, or fails.
    fn execute(&self, call: &mut ActionCall<'_>) -> Result<BranchId, ActionError>;
}

impl<F> ActionHandler for F
where
    F: Fn(&mut ActionCall<'_>) -> Result<BranchId, ActionError> + Send + Sync,
{
    fn execute(&self, call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
        self(call)
    }
}
