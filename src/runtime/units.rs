//! Which unit of a compiled call graph a traced step ran in: a run's record
//! read against the compiled form, here so that `program` knows nothing of
//! runs.

use super::TraceStep;
use crate::program::{Script, ScriptUnit};

impl Script {
    /// The unit a traced step ran in ([`TraceStep::script`] names it;
    /// `None` there is unit 0). `None` for a step of another script.
    ///
    /// ```
    /// let mut scripts = studioflow::MemoryResolver::default();
    /// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return { ReturnValue = 1 }");
    /// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
    /// let main = engine
    ///     .compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup Default -> done }\ndone: End", "main")
    ///     .unwrap();
    /// let run = engine.run(&main, studioflow::RunOptions::default().trace(true));
    /// let units: Vec<usize> = run.trace.unwrap().iter().map(|s| main.unit_of_step(s).unwrap().index()).collect();
    /// // start, the RunSub `c` itself, then the subscript's two steps, and `done`.
    /// assert_eq!(units, [0, 0, 1, 1, 0]);
    /// ```
    pub fn unit_of_step(&self, step: &TraceStep) -> Option<ScriptUnit<'_>> {
        self.unit_of_label(step.script.as_ref())
    }
}
