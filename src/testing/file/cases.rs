//! What a case names, checked against the compiled script: actions (in the
//! script or a subscript), expectations, mocks and the branches they take.

use std::sync::Arc;

use toml::Spanned;

use super::loader::{Loader, Target};
use super::schema::{RawExpect, RawHttp, RawMock, RawResult};
use crate::action::{BranchId, PropertyKind};
use crate::manifest::{toml_to_json, toml_to_value};
use crate::runtime::Outcome;
use crate::syntax::is_variable_name;
use crate::testing::error::{closest, Problem, TestFileError};
use crate::testing::expect::{ActionRef, Expect, VarExpect};
use crate::testing::mock::{HttpMock, Mock, MockResult};
use crate::{Event, HttpReply};
use crate::{Script, ScriptUnit};

impl Loader<'_> {
    /// An action an expectation names: `id` in the tested script, or
    /// `script:id` inside a subscript; as the trace names it.
    fn action_id(
        &self,
        target: Option<&Target<'_>>,
        id: &Spanned<String>,
        what: &'static str,
    ) -> Option<ActionRef> {
        let target = target?;
        let (unit, action) = self.ok(self.resolve_action(target.script, id, what))?;
        let (unit_index, flow) = match unit {
            Some(unit) => (unit.index(), unit.flow()),
            None => (0, target.script.flow()),
        };
        Some(ActionRef {
            name: match unit {
                Some(unit) => format!("{}:{}", unit.label(), action.id),
                None => action.id.to_string(),
            },
            unit: unit_index,
            action: flow
                .iter()
                .position(|f| f.id == action.id)
                .unwrap_or(usize::MAX),
        })
    }

    fn ids(
        &self,
        target: Option<&Target<'_>>,
        ids: Option<Vec<Spanned<String>>>,
        what: &'static str,
    ) -> Option<Vec<ActionRef>> {
        let ids = ids?;
        let checked: Vec<ActionRef> = ids
            .iter()
            .filter_map(|id| self.action_id(target, id, what))
            .collect();
        (checked.len() == ids.len()).then_some(checked)
    }

    pub(super) fn expect(&self, raw: RawExpect, target: Option<&Target<'_>>) -> Expect {
        let outcome = match &raw.outcome {
            None => None,
            Some(word) => match word.get_ref().as_str() {
                "completed" => Some(Outcome::Completed),
                "stopped" => Some(Outcome::Stopped),
                "limit" => Some(Outcome::Limit),
                "cancelled" => Some(Outcome::Cancelled),
                "waiting" => Some(Outcome::Waiting),
                other => {
                    self.push(self.error(word.span(), Problem::UnknownOutcome(other.to_string())));
                    None
                }
            },
        };
        let end = raw
            .end
            .as_ref()
            .and_then(|end| self.action_id(target, end, "expect.end"))
            .map(|end| end.name);
        let returned = raw
            .returned
            .as_ref()
            .and_then(|value| self.ok(self.variable_expectation(value)));
        let mut variables = None;
        if let Some(raw_variables) = &raw.variables {
            let mut checked = Vec::new();
            for (name, value) in raw_variables {
                if let Some(expected) = self.ok(self.variable_expectation(value)) {
                    checked.push((name.get_ref().clone(), expected));
                }
            }
            variables = Some(checked);
        }
        let unused_events = raw.unused_events.map(|events| self.events(&events));
        Expect {
            outcome,
            end,
            heard: raw.heard,
            unused_events,
            error: raw.error,
            path: self.ids(target, raw.path, "expect.path"),
            visits: self.ids(target, raw.visits, "expect.visits"),
            not_visits: self.ids(target, raw.not_visits, "expect.not_visits"),
            steps: raw.steps,
            variables,
            warnings: raw.warnings,
            returned,
        }
    }

    /// A value in `expect.variables`: exact, `{ contains = "..." }` or
    /// `{ matches = "regex" }`.
    fn variable_expectation(
        &self,
        value: &Spanned<toml::Value>,
    ) -> Result<VarExpect, TestFileError> {
        let matcher = match value.get_ref() {
            toml::Value::Table(table) if table.len() == 1 => table
                .iter()
                .next()
                .filter(|(key, _)| matches!(key.as_str(), "contains" | "matches")),
            _ => None,
        };
        let Some((key, operand)) = matcher else {
            return Ok(VarExpect::Equals(toml_to_json(value.get_ref())));
        };
        let toml::Value::String(text) = operand else {
            return Err(self.error(
                value.span(),
                Problem::BadPattern(format!(
                    "`{key}` takes a string, not {}",
                    operand.type_str()
                )),
            ));
        };
        if key == "contains" {
            return Ok(VarExpect::Contains(text.clone()));
        }
        VarExpect::pattern(text).map_err(|why| self.error(value.span(), Problem::BadPattern(why)))
    }

    /// The action `written` names: `id` in the tested script, or
    /// `script:id` inside a subscript (the script as its RunSub names it).
    fn resolve_action<'s>(
        &self,
        script: &'s Script,
        written: &Spanned<String>,
        what: &'static str,
    ) -> Result<(Option<ScriptUnit<'s>>, &'s crate::compile::CompiledAction), TestFileError> {
        let (unit, id) = match written.get_ref().rsplit_once(':') {
            None => (None, written.get_ref().as_str()),
            Some((name, id)) => {
                let subscripts = || script.units().filter(|u| u.is_subscript());
                match subscripts().find(|u| u.label() == name) {
                    Some(unit) => (Some(unit), id),
                    None => {
                        let labels: Vec<&str> = subscripts().map(|u| u.label()).collect();
                        return Err(self.error(
                            written.span(),
                            Problem::UnknownSubscript {
                                what,
                                script: name.to_string(),
                                id: id.to_string(),
                                known: if labels.is_empty() {
                                    "it calls none".into()
                                } else {
                                    format!("it calls {}", labels.join(", "))
                                },
                                suggestion: closest(name, labels.iter().copied())
                                    .map(|s| format!("{s}:{id}")),
                            },
                        ));
                    }
                }
            }
        };
        let inner = unit.map_or(&*script.inner, |u| u.inner());
        let ids = || inner.actions.iter().map(|a| &*a.id);
        match inner.actions.iter().find(|a| &*a.id == id) {
            Some(action) => Ok((unit, action)),
            None => {
                let prefix = unit.map(|u| format!("{}:", u.label())).unwrap_or_default();
                // A bare id of a subscript's action: say how to name it.
                let in_subscript = || {
                    script
                        .units()
                        .filter(|u| u.is_subscript())
                        .find(|u| u.inner().actions.iter().any(|a| &*a.id == id))
                        .map(|u| format!("{}:{id}", u.label()))
                };
                let suggestion = closest(id, ids())
                    .map(|s| format!("{prefix}{s}"))
                    .or_else(|| unit.is_none().then(in_subscript).flatten());
                Err(self.error(
                    written.span(),
                    Problem::UnknownAction {
                        what,
                        id: written.get_ref().clone(),
                        suggestion,
                    },
                ))
            }
        }
    }

    /// The mocks of a case; `None` when one of them is bad (each reported).
    pub(super) fn mocks(
        &self,
        raw: Vec<RawMock>,
        target: Option<&Target<'_>>,
    ) -> Option<Vec<Mock>> {
        let mut mocks: Vec<Mock> = Vec::new();
        let mut all_good = true;
        for mock in raw {
            if mock.results.get_ref().is_empty() {
                all_good = false;
                self.push(self.error(
                    mock.results.span(),
                    Problem::BadMock(
                        "`results` is empty: give one result per execution (the last one repeats)"
                            .into(),
                    ),
                ));
            }
            let Some(target) = target else {
                continue;
            };
            let Some((unit, action)) =
                self.ok(self.resolve_action(target.script, &mock.action, "mock"))
            else {
                all_good = false;
                continue;
            };
            let label: Option<Arc<str>> = unit.map(|u| Arc::from(u.label()));
            if mocks
                .iter()
                .any(|m| m.action == action.id && m.script == label)
            {
                all_good = false;
                self.push(self.error(
                    mock.action.span(),
                    Problem::DuplicateMock(mock.action.get_ref().clone()),
                ));
                continue;
            }
            let mut results = Vec::new();
            for result in mock.results.into_inner() {
                match self.mock_result(action, result) {
                    Ok(result) => results.push(result),
                    Err(e) => {
                        all_good = false;
                        self.push(e);
                    }
                }
            }
            mocks.push(Mock {
                script: label,
                action: action.id.clone(),
                results,
            });
        }
        all_good.then_some(mocks)
    }

    /// One mocked result, checked against the action it replaces.
    fn mock_result(
        &self,
        action: &crate::compile::CompiledAction,
        result: Spanned<RawResult>,
    ) -> Result<MockResult, TestFileError> {
        let span = result.span();
        let result = result.into_inner();
        let mut branch = match (&result.branch, &result.case) {
            (Some(_), Some(case)) => {
                return Err(self.error(
                    case.span(),
                    Problem::BadMock("a result takes `branch` or `case`, not both".into()),
                ))
            }
            (None, None) if result.err.is_some() => BranchId::ERROR,
            (None, None) => BranchId::DEFAULT,
            (Some(name), None) => self.branch(action, name)?,
            (None, Some(label)) => self.case_label(action, label)?,
        };
        if result.err.is_some() && branch != BranchId::ERROR {
            return Err(self.error(
                span,
                Problem::BadMock(
                    "`err` is the _ERR text of `branch = \"Error\"`; this result takes another branch"
                        .into(),
                ),
            ));
        }
        if action.terminal && branch != BranchId::ERROR {
            branch = BranchId::DEFAULT;
        }
        let mut set = Vec::new();
        for (var, value) in &result.set {
            if !is_variable_name(var.get_ref()) {
                return Err(self.error(var.span(), Problem::BadVariableName(var.get_ref().clone())));
            }
            set.push((var.get_ref().clone(), toml_to_value(value)));
        }
        let security_user = match result.security_user {
            None => None,
            Some(agent) => {
                let slot = action
                    .schema
                    .properties
                    .iter()
                    .position(|p| p.kind == PropertyKind::OutputVariable);
                match slot {
                    Some(slot) => Some((agent, slot)),
                    None => {
                        return Err(self.error(
                            span,
                            Problem::BadMock(format!(
                                "`security_user` needs a result variable, and {} has no output-variable property",
                                action.type_name
                            )),
                        ))
                    }
                }
            }
        };
        Ok(MockResult {
            branch,
            err: (branch == BranchId::ERROR)
                .then(|| result.err.unwrap_or_else(|| "mocked error".into())),
            set,
            security_user,
        })
    }

    /// `branch = "Name"`: Default, Error or an own branch, spelled as in the schema.
    fn branch(
        &self,
        action: &crate::compile::CompiledAction,
        name: &Spanned<String>,
    ) -> Result<BranchId, TestFileError> {
        let written = name.get_ref().as_str();
        let mut known: Vec<&str> = vec!["Default", "Error"];
        if action.terminal {
            known = vec!["Error"];
        } else {
            known.extend(action.schema.branches.iter().map(String::as_str));
        }
        if let Some(i) = known.iter().position(|k| *k == written) {
            return Ok(match (action.terminal, i) {
                (true, _) => BranchId::ERROR,
                (false, 0) => BranchId::DEFAULT,
                (false, 1) => BranchId::ERROR,
                (false, n) => BranchId::own(n as u32 - 2),
            });
        }
        if action.terminal {
            return Err(self.error(
                name.span(),
                Problem::BadMock(format!(
                    "action `{}` ({}) ends the script and has no branches: leave `branch` out, or give `err = \"...\"` to make it fail",
                    action.id, action.type_name
                )),
            ));
        }
        let labeled = action.schema.labeled_branch.as_deref();
        let hint = if labeled.is_some_and(|l| l.eq_ignore_ascii_case(written)) {
            Some(format!(
                "case = \"<label>\"` to take a `{written}` branch; or `branch = \"Default"
            ))
        } else {
            known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(written))
                .map(|k| k.to_string())
                .or_else(|| closest(written, known.iter().copied()))
        };
        Err(self.error(
            name.span(),
            Problem::UnknownBranch {
                action: action.id.to_string(),
                action_type: action.type_name.to_string(),
                branch: format!("`{written}`"),
                known: known.join(", "),
                suggestion: hint,
            },
        ))
    }

    /// `case = "label"`: the labeled branch whose label matches, compared as Case compares (as text).
    fn case_label(
        &self,
        action: &crate::compile::CompiledAction,
        label: &Spanned<toml::Value>,
    ) -> Result<BranchId, TestFileError> {
        let text = match label.get_ref() {
            toml::Value::Table(_) | toml::Value::Array(_) => {
                return Err(self.error(
                    label.span(),
                    Problem::BadMock("`case` takes a label: a string or a number".into()),
                ))
            }
            value => toml_to_value(value).to_text(),
        };
        if let Some(i) = action.labels.iter().position(|l| **l == *text) {
            return Ok(BranchId::label(i as u32));
        }
        let known = if action.labels.is_empty() {
            "none (it has no labeled branches)".to_string()
        } else {
            action
                .labels
                .iter()
                .map(|l| format!("{:?}", &**l))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(self.error(
            label.span(),
            Problem::UnknownBranch {
                action: action.id.to_string(),
                action_type: action.type_name.to_string(),
                branch: format!("labeled {text:?}"),
                known,
                suggestion: closest(&text, action.labels.iter().map(|l| &**l)),
            },
        ))
    }
}

impl Loader<'_> {
    /// `events = [...]`: each in the command line's syntax.
    pub(super) fn events(&self, raw: &[Spanned<String>]) -> Vec<Event> {
        raw.iter()
            .filter_map(|text| match text.get_ref().parse::<Event>() {
                Ok(event) => Some(event),
                Err(e) => {
                    self.push(self.error(text.span(), Problem::BadEvent(e.to_string())));
                    None
                }
            })
            .collect()
    }

    /// `[[case.http]]`: a method (default GET), an exact URL, a status
    /// (default 200), a body (text, or a TOML table/array written as JSON)
    /// and headers.
    pub(super) fn http_mocks(&self, raw: Vec<Spanned<RawHttp>>) -> Vec<HttpMock> {
        let mut out = Vec::new();
        for mock in raw {
            let span = mock.span();
            let mock = mock.into_inner();
            let method = mock
                .method
                .as_ref()
                .map_or("GET".to_string(), |m| m.get_ref().to_ascii_uppercase());
            if !matches!(
                method.as_str(),
                "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
            ) {
                let at = mock.method.as_ref().map_or(span.clone(), |m| m.span());
                self.push(self.error(
                    at,
                    Problem::BadHttpMock(format!(
                        "method {method:?}: expected GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS"
                    )),
                ));
                continue;
            }
            let status = match &mock.status {
                None => 200,
                Some(s) if (100..=599).contains(s.get_ref()) => *s.get_ref() as u16,
                Some(s) => {
                    self.push(self.error(
                        s.span(),
                        Problem::BadHttpMock(format!(
                            "status {}: expected 100 to 599",
                            s.get_ref()
                        )),
                    ));
                    continue;
                }
            };
            let body = match mock.body.as_ref().map(|b| b.get_ref()) {
                None => String::new(),
                Some(toml::Value::String(text)) => text.clone(),
                Some(other) => toml_to_json(other).to_string(),
            };
            let mut reply = HttpReply::new(status, body);
            for (name, value) in mock.headers {
                reply = reply.header(name, value);
            }
            if mock
                .fail
                .as_ref()
                .is_some_and(|f| f.get_ref().trim().is_empty())
            {
                let at = mock.fail.as_ref().map_or(span.clone(), |f| f.span());
                self.push(self.error(
                    at,
                    Problem::BadHttpMock("fail: expected the reason the request fails".into()),
                ));
                continue;
            }
            out.push(HttpMock {
                method,
                url: mock.url.into_inner(),
                reply,
                fail: mock.fail.map(Spanned::into_inner),
            });
        }
        out
    }
}
