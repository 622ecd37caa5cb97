//! The scripts of one compiled call graph, as pictures, reports and
//! coverage see them: the script that was compiled and every subscript its
//! RunSubs (and theirs) call, each with its own flow and source.

use super::flow::FlowAction;
use super::script::{PropSlot, Script, ScriptInner};
use crate::diagnostics::SourceFile;

/// One script of a compiled call graph: the script itself (unit 0) or a
/// subscript a RunSub calls (units 1.., in the order first named).
///
/// ```
/// let mut scripts = studioflow::MemoryResolver::default();
/// scripts.insert("lookup", "start: Begin { Default -> r }\nr: Return { ReturnValue = 1 }");
/// let engine = studioflow::Engine::builder().script_resolver(scripts).build();
/// let main = engine
///     .compile("start: Begin { Default -> c }\nc: RunSub { ScriptName = lookup Default -> done }\ndone: End", "main")
///     .unwrap();
/// let units: Vec<_> = main.units().collect();
/// assert_eq!(units.len(), 2);
/// assert!(!units[0].is_subscript());
/// let lookup = main.units().nth(1).unwrap();
/// assert_eq!((lookup.name(), lookup.label(), lookup.flow().len()), ("lookup", "lookup", 2));
/// // The RunSub `c` calls unit 1.
/// assert_eq!(units[0].called_by(1).map(|u| u.index()), Some(1));
/// ```
#[derive(Clone, Copy)]
pub struct ScriptUnit<'a> {
    root: &'a ScriptInner,
    inner: &'a ScriptInner,
    index: usize,
}

impl std::fmt::Debug for ScriptUnit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptUnit")
            .field("index", &self.index)
            .field("name", &self.inner.name)
            .finish()
    }
}

impl<'a> ScriptUnit<'a> {
    /// Its place in [`Script::units`] (0 for the script that was compiled).
    ///
    /// See the example on [`ScriptUnit`].
    pub fn index(&self) -> usize {
        self.index
    }
    /// True for a subscript (every unit but the first).
    ///
    /// See the example on [`ScriptUnit`].
    pub fn is_subscript(&self) -> bool {
        self.index > 0
    }
    /// Its resolved name: the file path for scripts read from files.
    ///
    /// See the example on [`ScriptUnit`].
    pub fn name(&self) -> &'a str {
        &self.inner.name
    }
    /// How traces, errors and test mocks name it: the ScriptName as the
    /// first RunSub wrote it (the compiled name for unit 0).
    ///
    /// See the example on [`ScriptUnit`].
    pub fn label(&self) -> &'a str {
        &self.inner.label
    }
    /// The title from its header, if any.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("script \"T\"\nstart: Begin", "t").unwrap();
    /// assert_eq!(s.units().next().unwrap().title(), Some("T"));
    /// ```
    pub fn title(&self) -> Option<&'a str> {
        self.inner.title.as_deref()
    }
    /// Its actions and written branches (see [`Script::flow`]).
    ///
    /// See the example on [`ScriptUnit`].
    pub fn flow(&self) -> &'a [FlowAction] {
        &self.inner.flow
    }
    /// Its source text, for lines and columns of its spans.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "s.script").unwrap();
    /// assert_eq!(s.units().next().unwrap().source().name(), "s.script");
    /// ```
    pub fn source(&self) -> &'a SourceFile {
        self.inner.warnings.source()
    }
    /// The compiled form, for the crate's own readers (test-file checks).
    pub(crate) fn inner(&self) -> &'a ScriptInner {
        self.inner
    }
    /// For a RunSub action of this unit (by index in [`ScriptUnit::flow`]):
    /// the unit it calls. `None` for every other action.
    ///
    /// See the example on [`ScriptUnit`].
    pub fn called_by(&self, action: usize) -> Option<ScriptUnit<'a>> {
        let a = self.inner.actions.get(action)?;
        let unit = a.properties.iter().find_map(|p| match p {
            PropSlot::Subscript(unit, _) => Some(*unit as usize),
            _ => None,
        })?;
        unit_at(self.root, unit)
    }
}

fn unit_at(root: &ScriptInner, index: usize) -> Option<ScriptUnit<'_>> {
    let inner = match index {
        0 => root,
        n => root.subscripts.get(n - 1)?,
    };
    Some(ScriptUnit { root, inner, index })
}

impl Script {
    /// Every script of the call graph: this one first, then each subscript
    /// once (a subscript called from several places is one unit).
    ///
    /// See the example on [`ScriptUnit`].
    pub fn units(&self) -> impl Iterator<Item = ScriptUnit<'_>> {
        (0..=self.inner.subscripts.len()).filter_map(|i| unit_at(&self.inner, i))
    }

    /// This script as unit 0 of its own call graph.
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "u").unwrap();
    /// assert_eq!((s.as_unit().index(), s.as_unit().name()), (0, "u"));
    /// ```
    pub fn as_unit(&self) -> ScriptUnit<'_> {
        ScriptUnit {
            root: &self.inner,
            inner: &self.inner,
            index: 0,
        }
    }

    /// Unit `index` of [`Script::units`].
    ///
    /// ```
    /// let s = studioflow::Engine::new().compile("start: Begin", "u").unwrap();
    /// assert_eq!(s.unit(0).unwrap().name(), "u");
    /// assert!(s.unit(1).is_none());
    /// ```
    pub fn unit(&self, index: usize) -> Option<ScriptUnit<'_>> {
        unit_at(&self.inner, index)
    }
}
