//! `studioflow.toml`: the project manifest.
//!
//! It declares the actions a host registers (`Notify`, `PlayPrompt`, ...) so
//! that scripts using them can be checked, run and tested without that host:
//! a declared action compiles and checks like a built-in. Executing one for
//! real without a host that provides it is an action failure (`_ERR` says to
//! mock it in a test or provide it in a host). The manifest is found by
//! walking up from a script's folder, like `Cargo.toml`, and its folder is the
//! project root.
//!
//! ```toml
//! [actions.Notify]
//! properties = [
//!   { name = "Message", kind = "template", required = true },
//!   { name = "Result", kind = "output", default = "NotifyResult" },
//! ]
//! branches = ["Busy"]
//! script_types = ["Phone", "Chat"]   # optional; all when absent
//! cases = true                       # optional: `Case "1" -> x` branches
//! ```
//!
//! Property kinds: `name`, `template`, `expression`, `input` (an input
//! variable) and `output` (an output variable).
//!
//! With `cases = true` a script may write labeled branches on the action
//! (`Case "1" -> one`), as on a `Case` action; a handler takes one with
//! [`ActionCall::case_branch`], a test mock with `case = "1"`.
//!
//! Bounds: at most [`MAX_DECLARED_ACTIONS`] actions, and
//! [`MAX_DECLARED_ITEMS`] properties and as many branches per action; every
//! check is linear in the manifest's size.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use crate::action::ActionCall;
use crate::action::{
    ActionError, ActionHandler, ActionSchema, BranchId, PropertyKind, PropertySchema, ScriptType,
    ScriptTypes,
};
use crate::engine::EngineBuilder;
use crate::runtime::Value;
use crate::syntax::is_identifier;

/// The manifest's file name.
pub const MANIFEST_FILE: &str = "studioflow.toml";

/// Manifests larger than this are refused (a manifest is a few kilobytes).
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// The most actions a manifest declares.
pub const MAX_DECLARED_ACTIONS: usize = 1_000;

/// The most properties, and the most branches, one declared action has
/// (Studio's own actions have a handful).
pub const MAX_DECLARED_ITEMS: usize = 100;

/// A bad manifest: names the file, the line and the field.
///
/// ```
/// let error = studioflow::manifest::Manifest::parse(
///     "[actions.Notify]\nproperties = [{ name = \"Message\", kind = \"text\" }]\n",
///     "studioflow.toml".as_ref(),
/// ).unwrap_err();
/// assert_eq!(error.line, 2);
/// assert!(error.to_string().starts_with("studioflow.toml:2:"));
/// assert!(error.to_string().contains("actions.Notify.properties[0].kind"));
/// ```
#[derive(Debug, Error)]
#[error("{}:{line}:{column}: {field}{}{message}", path.display(), if field.is_empty() { "" } else { ": " })]
pub struct ManifestError {
    /// The manifest file.
    pub path: PathBuf,
    /// 1-based line (0 when the file cannot be read).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field, as a dotted path (`actions.Notify.branches[0]`); empty when unknown.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// A loaded `studioflow.toml`.
///
/// ```
/// use studioflow::manifest::Manifest;
/// use studioflow::{Engine, Outcome};
///
/// let manifest = Manifest::parse(r#"
///     [actions.Notify]
///     properties = [{ name = "Message", kind = "template", required = true }]
///     branches = ["Busy"]
/// "#, "studioflow.toml".as_ref()).unwrap();
/// let engine = manifest.register(Engine::builder()).build();
/// let script = engine.compile(r#"
///     start: Begin { Default -> tell }
///     tell: Notify { Message = "hi" Busy -> done Error -> failed }
///     failed: End
///     done: End
/// "#, "notify.script").unwrap();
/// // No host provides Notify: running it is an action failure.
/// let run = engine.run(&script, Default::default());
/// assert_eq!(run.end.as_deref(), Some("failed"));
/// assert!(run.variables["_ERR"].to_text().contains("mock it in a test or provide it in a host"));
/// ```
#[derive(Debug, Clone)]
pub struct Manifest {
    path: PathBuf,
    actions: Vec<ActionSchema>,
    fmt_exclude: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    actions: IndexMap<Spanned<String>, Spanned<RawAction>>,
    /// `[fmt]`: what `studioflow fmt` skips.
    #[serde(default)]
    fmt: RawFmt,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFmt {
    /// Globs relative to the manifest's folder.
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    #[serde(default)]
    properties: Vec<Spanned<RawProperty>>,
    #[serde(default)]
    branches: Vec<Spanned<String>>,
    script_types: Option<Vec<Spanned<String>>>,
    /// `cases = true`: labeled `Case "x"` branches are allowed.
    #[serde(default)]
    cases: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProperty {
    name: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    required: bool,
    default: Option<Spanned<toml::Value>>,
}

fn property_kind(word: &str) -> Option<PropertyKind> {
    Some(match word {
        "name" => PropertyKind::Name,
        "template" => PropertyKind::Template,
        "expression" => PropertyKind::Expression,
        "input" => PropertyKind::InputVariable,
        "output" => PropertyKind::OutputVariable,
        _ => return None,
    })
}

impl Manifest {
    /// Parses manifest text; `path` names the file in errors.
    ///
    /// See the example on [`Manifest`].
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, ManifestError> {
        let error = |span: std::ops::Range<usize>, field: String, message: String| {
            let (line, column) = crate::diagnostics::line_col(text, span.start);
            ManifestError {
                path: path.to_owned(),
                line,
                column,
                field,
                message,
            }
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            error(
                e.span().unwrap_or(0..0),
                String::new(),
                e.message().trim().to_string(),
            )
        })?;
        let mut actions = Vec::new();
        if raw.actions.len() > MAX_DECLARED_ACTIONS {
            let (name, _) = raw
                .actions
                .get_index(MAX_DECLARED_ACTIONS)
                .expect("over the bound");
            return Err(error(
                name.span(),
                format!("actions.{}", name.get_ref()),
                format!("more than {MAX_DECLARED_ACTIONS} actions are declared"),
            ));
        }
        // Lower-cased names seen so far (names match case-insensitively):
        // one set lookup per name keeps the checks linear.
        let mut action_names: std::collections::HashMap<String, String> =
            std::collections::HashMap::new();
        for (name, action) in raw.actions {
            let field = format!("actions.{}", name.get_ref());
            if !is_identifier(name.get_ref()) {
                return Err(error(
                    name.span(),
                    field,
                    "an action type is a name: letters, digits and `_`, not starting with a digit"
                        .into(),
                ));
            }
            if let Some(builtin) = EngineBuilder::builtin_action_name(name.get_ref()) {
                let what = if builtin == name.get_ref() {
                    format!("`{builtin}` is a built-in action")
                } else {
                    format!(
                        "`{}` is named like the built-in action `{builtin}` (names match ignoring case)",
                        name.get_ref()
                    )
                };
                return Err(error(
                    name.span(),
                    field,
                    format!("{what} and cannot be redeclared"),
                ));
            }
            if let Some(first) =
                action_names.insert(name.get_ref().to_ascii_lowercase(), name.get_ref().clone())
            {
                return Err(error(
                    name.span(),
                    field,
                    format!(
                        "`{}` is declared twice (as `{first}` too: names match ignoring case)",
                        name.get_ref()
                    ),
                ));
            }
            let action = action.into_inner();
            for (what, count, span) in [
                (
                    "properties",
                    action.properties.len(),
                    action.properties.get(MAX_DECLARED_ITEMS).map(|p| p.span()),
                ),
                (
                    "branches",
                    action.branches.len(),
                    action.branches.get(MAX_DECLARED_ITEMS).map(|b| b.span()),
                ),
            ] {
                if count > MAX_DECLARED_ITEMS {
                    return Err(error(
                        span.unwrap_or_else(|| name.span()),
                        format!("{field}.{what}"),
                        format!(
                            "{count} {what} declared: an action has at most {MAX_DECLARED_ITEMS}"
                        ),
                    ));
                }
            }
            let mut property_names = std::collections::HashSet::new();
            let mut branch_names = std::collections::HashSet::new();
            let mut schema = ActionSchema::new(name.get_ref());
            for (i, property) in action.properties.into_iter().enumerate() {
                let property = property.into_inner();
                let field = format!("{field}.properties[{i}]");
                let pname = property.name.get_ref();
                if !is_identifier(pname) {
                    return Err(error(
                        property.name.span(),
                        format!("{field}.name"),
                        format!("{pname:?} is not a property name"),
                    ));
                }
                if !property_names.insert(pname.to_ascii_lowercase()) {
                    return Err(error(
                        property.name.span(),
                        format!("{field}.name"),
                        format!("property `{pname}` is declared twice"),
                    ));
                }
                let Some(kind) = property_kind(property.kind.get_ref()) else {
                    return Err(error(
                        property.kind.span(),
                        format!("{field}.kind"),
                        format!(
                            "unknown kind {:?}; expected name, template, expression, input or output",
                            property.kind.get_ref()
                        ),
                    ));
                };
                let mut declared = if property.required {
                    PropertySchema::required(pname, kind)
                } else {
                    PropertySchema::optional(pname, kind)
                };
                if let Some(default) = property.default {
                    if property.required {
                        return Err(error(
                            default.span(),
                            format!("{field}.default"),
                            "a required property takes no default".into(),
                        ));
                    }
                    let is_variable = matches!(
                        kind,
                        PropertyKind::InputVariable | PropertyKind::OutputVariable
                    );
                    let value = toml_to_value(default.get_ref());
                    if is_variable && !value.as_str().is_some_and(is_identifier) {
                        return Err(error(
                            default.span(),
                            format!("{field}.default"),
                            "the default of a variable property is a variable name".into(),
                        ));
                    }
                    declared = declared.with_default(value);
                }
                schema = schema.property(declared);
            }
            for (i, branch) in action.branches.iter().enumerate() {
                let b = branch.get_ref();
                let bfield = format!("{field}.branches[{i}]");
                let is_label = b.starts_with(|c: char| c.is_ascii_digit() || c == '-')
                    || b.eq_ignore_ascii_case("Case");
                if is_label {
                    return Err(error(
                        branch.span(),
                        bfield,
                        format!(
                            "{b:?} is not a branch name: for case branches (`Case \"1\" -> target`) write `cases = true`; the labels are written in the script"
                        ),
                    ));
                }
                if !is_identifier(b) {
                    return Err(error(
                        branch.span(),
                        bfield,
                        format!("{b:?} is not a branch name"),
                    ));
                }
                if ["Default", "Error"]
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(b))
                {
                    return Err(error(
                        branch.span(),
                        bfield,
                        format!("every action has `{b}`: declare only its own branches"),
                    ));
                }
                if !branch_names.insert(b.to_ascii_lowercase()) {
                    return Err(error(
                        branch.span(),
                        bfield,
                        format!("branch `{b}` is declared twice"),
                    ));
                }
                schema = schema.branch(b);
            }
            if let Some(types) = action.script_types {
                let mut parsed = Vec::new();
                for (i, t) in types.iter().enumerate() {
                    match t.get_ref().parse::<ScriptType>() {
                        Ok(t) => parsed.push(t),
                        Err(message) => {
                            return Err(error(
                                t.span(),
                                format!("{field}.script_types[{i}]"),
                                message,
                            ))
                        }
                    }
                }
                schema = schema.script_types(ScriptTypes::of(&parsed));
            }
            if action.cases {
                schema = schema.labeled_branch("Case");
            }
            actions.push(schema);
        }
        Ok(Manifest {
            path: path.to_owned(),
            actions,
            fmt_exclude: raw.fmt.exclude,
        })
    }

    /// Reads and parses a manifest file.
    ///
    /// ```
    /// let error = studioflow::manifest::Manifest::load("/no/such/studioflow.toml".as_ref()).unwrap_err();
    /// assert!(error.message.starts_with("cannot read"));
    /// ```
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text =
            crate::files::read_text(path, MAX_MANIFEST_BYTES).map_err(|e| ManifestError {
                path: path.to_owned(),
                line: 0,
                column: 0,
                field: String::new(),
                message: e.reason(),
            })?;
        Manifest::parse(&text, path)
    }

    /// The manifest that governs a script in `folder`: the nearest
    /// `studioflow.toml` in it or one of its parents, if any.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("flows")).unwrap();
    /// std::fs::write(dir.path().join("studioflow.toml"), "[actions.Notify]\n").unwrap();
    /// let found = studioflow::manifest::Manifest::find(&dir.path().join("flows")).unwrap().unwrap();
    /// assert_eq!(found.root(), dir.path().canonicalize().unwrap());
    /// assert_eq!(found.actions()[0].name, "Notify");
    /// ```
    pub fn find(folder: &Path) -> Result<Option<Manifest>, ManifestError> {
        let start = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        let start = start.canonicalize().unwrap_or_else(|_| start.to_owned());
        // Name the manifest relative to the current folder when it is below it.
        let here = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
        for dir in start.ancestors() {
            let candidate = dir.join(MANIFEST_FILE);
            if candidate.is_file() {
                let shown = here
                    .as_deref()
                    .and_then(|here| candidate.strip_prefix(here).ok())
                    .map_or_else(|| candidate.clone(), Path::to_path_buf);
                return Manifest::load(&shown).map(Some);
            }
        }
        Ok(None)
    }

    /// The manifest that governs the script at `script` (see [`Manifest::find`]).
    ///
    /// ```
    /// // The repository has no manifest above its scripts.
    /// # let _ =
    /// studioflow::manifest::Manifest::for_script("scripts/roles_admin.script".as_ref());
    /// ```
    pub fn for_script(script: &Path) -> Result<Option<Manifest>, ManifestError> {
        Manifest::find(script.parent().unwrap_or(Path::new(".")))
    }

    /// An engine builder with the built-ins plus the actions declared by the
    /// manifest that governs `script` (none when there is no manifest): what
    /// `check`, `run`, `graph` and `test` start from.
    ///
    /// ```
    /// let builder = studioflow::manifest::Manifest::builder_for_script("scripts/router.script".as_ref()).unwrap();
    /// assert!(builder.has_action("Assign"));
    /// ```
    pub fn builder_for_script(script: &Path) -> Result<EngineBuilder, ManifestError> {
        let builder = EngineBuilder::new();
        Ok(match Manifest::for_script(script)? {
            Some(manifest) => manifest.register(builder),
            None => builder,
        })
    }

    /// The manifest file.
    ///
    /// ```
    /// let m = studioflow::manifest::Manifest::parse("", "x/studioflow.toml".as_ref()).unwrap();
    /// assert_eq!(m.path(), std::path::Path::new("x/studioflow.toml"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The project root: the manifest's folder.
    ///
    /// ```
    /// let m = studioflow::manifest::Manifest::parse("", "x/studioflow.toml".as_ref()).unwrap();
    /// assert_eq!(m.root(), std::path::Path::new("x"));
    /// ```
    pub fn root(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The `[fmt] exclude` globs (relative to [`Manifest::root`]) that `studioflow fmt` skips.
    ///
    /// ```
    /// let m = studioflow::manifest::Manifest::parse("[fmt]\nexclude = [\"tests/bad/**\"]", "studioflow.toml".as_ref()).unwrap();
    /// assert_eq!(m.fmt_exclude(), ["tests/bad/**"]);
    /// ```
    pub fn fmt_exclude(&self) -> &[String] {
        &self.fmt_exclude
    }

    /// The declared host actions.
    ///
    /// ```
    /// let m = studioflow::manifest::Manifest::parse("[actions.PlayPrompt]\nbranches = [\"Hangup\"]", "studioflow.toml".as_ref()).unwrap();
    /// assert_eq!(m.actions()[0].branches, ["Hangup"]);
    /// ```
    pub fn actions(&self) -> &[ActionSchema] {
        &self.actions
    }

    /// Registers every declared action the builder does not already have
    /// (a host's own handler wins), with a handler that fails saying no host
    /// provides it. See the example on [`Manifest`].
    pub fn register(&self, mut builder: EngineBuilder) -> EngineBuilder {
        for schema in &self.actions {
            if !builder.has_action(&schema.name) {
                let handler = NotProvided {
                    message: format!(
                        "{} is a host action declared in {}: mock it in a test or provide it in a host",
                        schema.name,
                        self.path.display()
                    ),
                };
                builder.add_action(schema.clone(), Arc::new(handler));
            }
        }
        builder
    }
}

/// The handler of a declared action no host provides.
struct NotProvided {
    message: String,
}

impl ActionHandler for NotProvided {
    fn execute(&self, _call: &mut ActionCall<'_>) -> Result<BranchId, ActionError> {
        Err(ActionError::failed(self.message.clone()))
    }
}

/// A TOML value as a script value; a datetime becomes its RFC 3339 text.
pub(crate) fn toml_to_value(value: &toml::Value) -> Value {
    Value::from_json(&toml_to_json(value))
}

/// A TOML value as JSON; a datetime becomes its RFC 3339 text.
pub(crate) fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new("studioflow.toml"))
    }

    #[test]
    fn declares_properties_branches_and_types() {
        let m = parse(
            r#"
[actions.Notify]
properties = [ { name = "Message", kind = "template", required = true }, { name = "Result", kind = "output", default = "NotifyResult" } ]
branches = ["Busy"]
script_types = ["Phone", "Chat"]
"#,
        )
        .unwrap();
        let notify = &m.actions()[0];
        assert_eq!(notify.name, "Notify");
        assert_eq!(notify.properties.len(), 2);
        assert!(notify.properties[0].required);
        assert_eq!(notify.properties[1].kind, PropertyKind::OutputVariable);
        assert_eq!(
            notify.properties[1].default,
            Some(Value::from("NotifyResult"))
        );
        assert_eq!(notify.branches, ["Busy"]);
        assert!(notify.script_types.contains(ScriptType::Phone));
        assert!(!notify.script_types.contains(ScriptType::Email));
    }

    #[test]
    fn errors_name_line_and_field() {
        let cases = [
            ("[actions.Notify]\nbranch = [\"Busy\"]\n", 2, "unknown field `branch`"),
            ("[actions.Notify]\nbranches = [\"Default\"]\n", 2, "actions.Notify.branches[0]"),
            ("[actions.Notify]\nbranches = [\"A\", \"A\"]\n", 2, "declared twice"),
            ("[actions.Assign]\n", 1, "built-in"),
            ("[actions.\"No tify\"]\n", 1, "is a name"),
            ("[actions.N]\nscript_types = [\"Fax\"]\n", 2, "actions.N.script_types[0]: unknown script type"),
            ("[actions.N]\nproperties = [{ name = \"A\", kind = \"input\", default = 3 }]\n", 2, "actions.N.properties[0].default"),
            ("[actions.N]\nproperties = [{ name = \"A\", kind = \"name\", required = true, default = \"x\" }]\n", 2, "takes no default"),
            ("[actions.N]\nproperties = [{ name = \"A\", kind = \"name\" }, { name = \"a\", kind = \"name\" }]\n", 2, "declared twice"),
            ("[actions.N]\nproperties = [{ kind = \"name\" }]\n", 2, "missing field `name`"),
            ("actions = 3\n", 1, "invalid type"),
            ("[actions.N\n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
            assert!(e.to_string().starts_with("studioflow.toml:"), "{e}");
        }
    }
}
