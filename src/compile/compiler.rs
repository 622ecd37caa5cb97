//! One script's compile within a call graph: the engine's registries and
//! limits, and the call graph being built.

use std::cell::RefCell;

use super::graph::SubGraph;
use super::registry::ActionRegistry;
use crate::program::Signatures;

/// One script's compile within a call graph.
pub(crate) struct Compiler<'a> {
    pub actions: &'a ActionRegistry,
    pub functions: &'a dyn Signatures,
    pub engine_id: u64,
    pub max_value_depth: usize,
    pub max_string_bytes: usize,
    /// The call graph being built, when subscripts can be resolved.
    pub subscripts: &'a RefCell<SubGraph<'a>>,
}
