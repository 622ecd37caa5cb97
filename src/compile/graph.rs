//! The call graph of a compile: every script a RunSub names, resolved once
//! through the engine's resolver and compiled with the caller into one
//! [`crate::Script`]. Unit 0 is the script being compiled; units 1.. are its
//! subscripts, in the order they were first named.

use crate::diagnostics::Span;
use crate::resolver::{ResolveError, ScriptResolver};

/// The most distinct subscripts one compile may pull in.
pub(crate) const MAX_SUBSCRIPTS: usize = 256;

pub(crate) struct Unit {
    /// The resolved name (a path for files): identity of the unit.
    pub name: String,
    /// The ScriptName as first written: how traces name the unit.
    pub label: String,
    pub source: String,
}

/// One RunSub, for the checks that need both ends compiled.
pub(crate) struct Call {
    pub caller: u32,
    pub target: u32,
    pub span: Span,
    /// The number of parameters when written as a list literal.
    pub args: Option<usize>,
}

pub(crate) struct SubGraph<'r> {
    resolver: Option<&'r dyn ScriptResolver>,
    root_name: String,
    pub units: Vec<Unit>,
    pub calls: Vec<Call>,
    /// The unit being compiled.
    pub current: u32,
}

impl<'r> SubGraph<'r> {
    pub fn new(resolver: Option<&'r dyn ScriptResolver>, root_name: &str) -> Self {
        SubGraph {
            resolver,
            root_name: root_name.to_string(),
            units: Vec::new(),
            calls: Vec::new(),
            current: 0,
        }
    }

    fn name_of(&self, unit: u32) -> &str {
        match unit {
            0 => &self.root_name,
            n => &self.units[n as usize - 1].name,
        }
    }

    /// The unit a RunSub in the current unit calls.
    pub fn unit_for(&mut self, written: &str) -> Result<u32, ResolveError> {
        let resolver = self.resolver.ok_or_else(|| ResolveError::NoResolver {
            name: written.to_string(),
        })?;
        let resolved = resolver.resolve(written, self.name_of(self.current))?;
        if resolved.name == self.root_name {
            return Ok(0);
        }
        if let Some(i) = self.units.iter().position(|u| u.name == resolved.name) {
            return Ok(i as u32 + 1);
        }
        if self.units.len() >= MAX_SUBSCRIPTS {
            return Err(ResolveError::Read {
                name: written.to_string(),
                message: format!("more than {MAX_SUBSCRIPTS} subscripts in one compile"),
            });
        }
        self.units.push(Unit {
            name: resolved.name,
            label: written.to_string(),
            source: resolved.source,
        });
        Ok(self.units.len() as u32)
    }

    /// Units that can reach themselves through RunSubs (recursion), in
    /// order; each with the cycle as labels.
    pub fn cycles(&self) -> Vec<(u32, Vec<u32>)> {
        let n = self.units.len() + 1;
        let mut found = Vec::new();
        for start in 0..n as u32 {
            // Breadth-first search for a path back to `start`.
            let mut prev: Vec<Option<u32>> = vec![None; n];
            let mut queue = std::collections::VecDeque::from([start]);
            let mut seen = vec![false; n];
            let mut closing = None;
            while let Some(u) = queue.pop_front() {
                for c in self.calls.iter().filter(|c| c.caller == u) {
                    if c.target == start {
                        closing = Some(u);
                        break;
                    }
                    if !seen[c.target as usize] {
                        seen[c.target as usize] = true;
                        prev[c.target as usize] = Some(u);
                        queue.push_back(c.target);
                    }
                }
                if closing.is_some() {
                    break;
                }
            }
            if let Some(mut u) = closing {
                let mut path = vec![u];
                while u != start {
                    match prev[u as usize] {
                        Some(p) => {
                            path.push(p);
                            u = p;
                        }
                        None => break,
                    }
                }
                path.reverse();
                found.push((start, path));
            }
        }
        found
    }
}
