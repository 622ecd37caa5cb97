//! The walk over a test file: its keys, the script, the tenant, the inputs,
//! one compile, then every case; each mistake recorded as it is found.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::schema::{RawCase, RawFile, FILE_KEYS};
use super::{Tenant, TestCase, TestFile, DEFAULT_NOW, MAX_CASES, MAX_INPUT_BYTES};
use crate::engine::Engine;
use crate::files::read_bytes;
use crate::manifest::{toml_to_value, Manifest};
use crate::permissions::Directory;
use crate::runtime::FixedClock;
use crate::syntax::is_variable_name;
use crate::testing::error::{var_hint, LineIndex, Problem, TestFileError};
use crate::testing::names::{bad_stem, file_safe, snapshot_stem, TEST_FILE_SUFFIX};
use crate::{CompileOptions, Script};

/// How a [`Loader`] gets the engine a test file's script compiles with
/// (the test runner's engine for a tenant, a clock and a manifest).
pub(crate) type MakeEngine<'a> = &'a dyn Fn(Directory, FixedClock, Option<&Manifest>) -> Engine;

/// Loads what a test file names, with each problem placed in the test file.
///
/// Every mistake it can find is collected (up to [`MAX_ERRORS`]), as `check`
/// reports every mistake of a script: unknown keys, values of the wrong
/// type, unknown outcomes, ids and branches, all in one pass.
pub(crate) struct Loader<'a> {
    /// The engine the script compiles with: the runner's, given the file's
    /// tenant, clock and manifest.
    pub(super) make_engine: MakeEngine<'a>,
    pub(super) path: &'a Path,
    pub(super) text: String,
    pub(super) lines: LineIndex,
    pub(super) errors: RefCell<Vec<TestFileError>>,
    pub(super) dropped: Cell<usize>,
    /// Keys an unknown key looks like a misspelling of (their "missing
    /// field" error would say the same mistake twice).
    pub(super) misspelt: RefCell<Vec<String>>,
    /// The tenant of a file that names none (the demo tenant without it).
    pub(super) default_tenant: Option<std::sync::Arc<str>>,
}

/// What a case's expectations and mocks are checked against.
pub(super) struct Target<'s> {
    pub(super) script: &'s Script,
}

impl<'a> Loader<'a> {
    pub fn new(make_engine: MakeEngine<'a>, path: &'a Path, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Loader {
            make_engine,
            path,
            text,
            lines,
            errors: RefCell::new(Vec::new()),
            dropped: Cell::new(0),
            misspelt: RefCell::new(Vec::new()),
            default_tenant: None,
        }
    }

    /// The tenant (a tenant document) of a file that names none.
    pub fn with_default_tenant(mut self, tenant: Option<std::sync::Arc<str>>) -> Self {
        self.default_tenant = tenant;
        self
    }

    /// Parses and checks the whole file; every mistake found, in file order.
    pub fn load(self) -> Result<TestFile, Vec<TestFileError>> {
        let result = self.load_inner();
        let errors = self.take_errors();
        match result {
            Some(file) if errors.is_empty() => Ok(file),
            _ if errors.is_empty() => {
                Err(vec![self.error(
                    0..0,
                    Problem::Toml("the file cannot be loaded".into()),
                )])
            }
            _ => Err(errors),
        }
    }

    fn load_inner(&self) -> Option<TestFile> {
        // Syntax errors end the load: nothing after them can be placed.
        let text: &str = &self.text;
        let document = match DeTable::parse(text) {
            Ok(document) => document,
            Err(e) => {
                self.push(self.toml_error(&e));
                return None;
            }
        };
        self.unknown_keys(document.get_ref(), FILE_KEYS);

        // The top-level keys and each case are read on their own, so a
        // value of the wrong type in one does not hide the others' mistakes.
        let document_span = document.span();
        let mut top = DeTable::new();
        let mut raw_cases: Vec<Spanned<DeValue<'_>>> = Vec::new();
        let mut case_key_span = None;
        for (key, value) in document.into_inner() {
            if &**key.get_ref() == "case" {
                case_key_span = Some(key.span());
                let span = value.span();
                match value.into_inner() {
                    DeValue::Array(items) if items.is_empty() => {
                        self.push(self.error(key.span(), Problem::NoCases))
                    }
                    DeValue::Array(items) => raw_cases.extend(items),
                    _ => self.push(self.error(
                        span,
                        Problem::Toml(
                            "invalid type: `case` is an array of tables ([[case]])".into(),
                        ),
                    )),
                }
            } else {
                top.insert(key, value);
            }
        }
        let raw = RawFile::deserialize(ValueDeserializer::from(Spanned::new(
            document_span.clone(),
            DeValue::Table(top),
        )))
        .map_err(|e| self.push_toml_error(&e))
        .ok();
        if case_key_span.is_none() {
            self.push(self.error(0..0, Problem::NoCases));
        }
        if let Some(extra) = raw_cases.get(MAX_CASES) {
            self.push(self.error(
                extra.span(),
                Problem::TooManyCases {
                    count: raw_cases.len(),
                    max: MAX_CASES,
                },
            ));
            raw_cases.truncate(MAX_CASES);
        }
        let mut cases = Vec::new();
        for raw_case in raw_cases {
            let span = raw_case.span();
            if !matches!(raw_case.get_ref(), DeValue::Table(_)) {
                self.push(self.error(
                    span,
                    Problem::Toml("invalid type: each `case` is a table".into()),
                ));
                continue;
            }
            match RawCase::deserialize(ValueDeserializer::from(raw_case)) {
                Ok(case) => cases.push(case),
                Err(e) => self.push_toml_error(&e),
            }
        }

        let raw = raw?;
        let folder = self.path.parent().unwrap_or(Path::new(""));

        // The script: `script = "..."`, else NAME.script beside NAME.test.toml.
        let script_file = match &raw.script {
            Some(s) => self
                .ok(self.confined(folder, "script", s))
                .map(|p| (p, s.span())),
            None => {
                let file_name = self
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                match file_name.strip_suffix(TEST_FILE_SUFFIX) {
                    Some(stem) if !stem.is_empty() => {
                        // NAME.script, else a Studio file NAME.json or NAME.xml;
                        // more than one of them is for `script =` to settle.
                        let found: Vec<PathBuf> = ["script", "json", "xml"]
                            .iter()
                            .map(|x| folder.join(format!("{stem}.{x}")))
                            .filter(|p| p.is_file())
                            .collect();
                        if found.len() > 1 {
                            let names: Vec<String> =
                                found.iter().map(|p| p.display().to_string()).collect();
                            self.push(self.error(0..0, Problem::SeveralScripts(names.join(", "))));
                            None
                        } else {
                            let path = found
                                .into_iter()
                                .next()
                                .unwrap_or_else(|| folder.join(format!("{stem}.script")));
                            self.ok(self.check_inside_root(folder, "script", &path, &(0..0)))
                                .map(|()| (path, 0..0))
                        }
                    }
                    _ => {
                        self.push(self.error(0..0, Problem::NoScript));
                        None
                    }
                }
            }
        };
        let source = script_file.as_ref().and_then(|(script_path, script_span)| {
            let missing = |e: crate::files::FileError| {
                self.error(
                    script_span.clone(),
                    Problem::MissingFile {
                        key: "script",
                        path: script_path.display().to_string(),
                        reason: e.reason(),
                    },
                )
            };
            // Bytes, not text: a Studio file may be UTF-16 (`studio::decode`).
            let bytes = self.ok(read_bytes(script_path, MAX_INPUT_BYTES).map_err(missing))?;
            let Some(format) = crate::studio::StudioFormat::of_path(script_path) else {
                return self.ok(crate::files::bytes_to_text(script_path, bytes).map_err(missing));
            };
            // A Studio file is tested as `studioflow import` imports it.
            let stem = script_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let imported = crate::studio::import_bytes(&bytes, format, &stem);
            self.ok(imported.map(|i| i.text).map_err(|e| {
                self.error(
                    script_span.clone(),
                    Problem::StudioFile {
                        path: script_path.display().to_string(),
                        reason: e.to_string(),
                    },
                )
            }))
        });

        let tenant = match &raw.tenant {
            None => Some(match &self.default_tenant {
                Some(json) => Tenant::Json(json.clone()),
                None => Tenant::Demo,
            }),
            Some(t) => self.ok(self.tenant(folder, t)),
        };
        let file_now = match &raw.now {
            Some(now) => self.ok(self.clock(now)),
            None => Some(FixedClock::parse(DEFAULT_NOW).expect("the default time parses")),
        };
        let mut inputs = Vec::new();
        for input in &raw.inputs {
            if is_variable_name(input.get_ref()) {
                inputs.push(input.get_ref().clone());
            } else {
                self.push(self.error(
                    input.span(),
                    Problem::BadVariableName(input.get_ref().clone()),
                ));
            }
        }
        let manifest = match &script_file {
            Some((script_path, _)) => self.ok(Manifest::for_script(script_path).map_err(|e| {
                TestFileError {
                    // The error is in the manifest, which it names with its line.
                    path: self.path.to_owned(),
                    line: 0,
                    column: 0,
                    problem: Box::new(Problem::Manifest(e.to_string())),
                }
            })),
            None => None,
        };

        // Compile once, with the file's tenant and clock, to check the script
        // and everything the cases name in it. Without a script, the cases
        // are still checked for everything that does not need it.
        let mut file = None;
        let mut script = None;
        if let (Some((script_path, script_span)), Some(source), Some(tenant), Some(manifest)) =
            (script_file, source, tenant, manifest)
        {
            let loaded = TestFile {
                path: self.path.to_owned(),
                script_path,
                source,
                tenant,
                inputs,
                manifest,
                cases: Vec::new(),
            };
            let engine = (self.make_engine)(
                loaded.fresh_tenant(),
                file_now.unwrap_or_else(|| {
                    FixedClock::parse(DEFAULT_NOW).expect("the default time parses")
                }),
                loaded.manifest.as_ref(),
            );
            let options = CompileOptions {
                inputs: loaded.inputs.clone(),
            };
            script = self.ok(engine
                .compile_with(&loaded.source, &loaded.script_name(), &options)
                .map_err(|diagnostics| {
                    self.error(
                        script_span.clone(),
                        Problem::Compile {
                            script: loaded.script_name(),
                            diagnostics: diagnostics.with_input_hint(var_hint).to_string(),
                        },
                    )
                }));
            file = Some(loaded);
        }
        let target = script.as_ref().map(|script| Target { script });

        let mut names: HashMap<String, usize> = HashMap::new();
        let mut snapshot_files: HashMap<String, String> = HashMap::new();
        let mut checked = Vec::new();
        for case in cases {
            let name = case.name.get_ref().clone();
            let name_line = self.line(&case.name.span());
            if name.is_empty() {
                self.push(self.error(case.name.span(), Problem::EmptyName));
            }
            if let Some(&first_line) = names.get(&name) {
                self.push(self.error(
                    case.name.span(),
                    Problem::DuplicateCase {
                        name: name.clone(),
                        first_line,
                    },
                ));
            } else {
                names.insert(name.clone(), name_line);
            }
            if case.snapshot {
                if let Some(why) = bad_stem(snapshot_stem(self.path)) {
                    self.push(self.error(case.name.span(), Problem::BadSnapshot(why)));
                }
                let safe = file_safe(&name);
                if let Some(first) = snapshot_files.get(&safe) {
                    self.push(self.error(
                        case.name.span(),
                        Problem::SnapshotCollision {
                            first: first.clone(),
                            second: name.clone(),
                            file: format!("{safe}.json"),
                        },
                    ));
                } else {
                    snapshot_files.insert(safe, name.clone());
                }
            }
            let mut vars = IndexMap::new();
            for (var, value) in &case.vars {
                if is_variable_name(var.get_ref()) {
                    vars.insert(var.get_ref().clone(), toml_to_value(value));
                } else {
                    self.push(
                        self.error(var.span(), Problem::BadVariableName(var.get_ref().clone())),
                    );
                }
            }
            let now = match &case.now {
                Some(now) => self.ok(self.clock(now)),
                None => file_now,
            };
            let expect = self.expect(case.expect, target.as_ref());
            let mocks = self.mocks(case.mock, target.as_ref());
            let events = self.events(&case.events);
            let http = self.http_mocks(case.http);
            if let (Some(now), Some(mocks)) = (now, mocks) {
                checked.push(TestCase {
                    name,
                    line: name_line,
                    vars,
                    now,
                    max_steps: case.max_steps.or(raw.max_steps),
                    snapshot: case.snapshot,
                    expect,
                    mocks,
                    events,
                    http,
                });
            }
        }
        let mut file = file?;
        script?;
        file.cases = checked;
        Some(file)
    }
}
