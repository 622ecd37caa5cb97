//! The one place the compiled form names the action API.
//!
//! A compiled action holds its handler, so the run loop calls it without a
//! lookup. The handler trait takes the run's `ActionCall`, so it cannot sit
//! below `program`: this alias is the layer table's one named exception
//! for `program` (see `docs/architecture.md`).

use std::sync::Arc;

/// An action's handler as the compiled script holds it.
pub(crate) type Handler = Arc<dyn crate::action::ActionHandler>;
