//! Desktop Studio XML (`<ScriptContainer>`) read into a [`StudioScript`],
//! with `roxmltree` (which refuses a DTD by default, so neither external nor
//! recursive entities are expanded).
//!
//! Tolerant on input (`studio-formats.md` §1.13): CRLF or LF, a BOM,
//! `<string />`, a missing `DefaultNextAction`, branch targets of `-1` (not
//! connected), empty or missing `Branches`/`Cases`, the connections in
//! `ExtraInfo` when the branch lists are empty, unknown elements (ignored),
//! any action order, element names matched case-insensitively. Every error
//! names the line and column.

use std::collections::BTreeSet;

use roxmltree::{Document, Node};

use super::error::StudioError;
use super::fields::{is_guid, ACTION_ELEMENTS, MAX_ACTION_ID, MAX_PROPERTIES, ROOT_ELEMENTS};
use super::model::{
    ActionExtras, BranchKind, HeaderExtras, Position, PropertyValue, StudioAction, StudioBranch,
    StudioProperty, StudioScript,
};

/// Lines and columns of one text's nodes, for the places every action and
/// branch keeps: computed from the last place asked on the same line, as
/// the reader visits nodes in document order (roxmltree's `text_pos_at`
/// scans from the start of the text each time, quadratic over a file of
/// thousands of branches). Rows and columns are counted as roxmltree
/// counts them (1-based; columns in characters).
struct Places<'a> {
    text: &'a str,
    /// The byte offset of every `\n`.
    newlines: Vec<usize>,
    /// The last offset asked for and its column.
    last: std::cell::Cell<(usize, usize)>,
}

impl<'a> Places<'a> {
    fn new(text: &'a str) -> Self {
        Places {
            text,
            newlines: text.match_indices('\n').map(|(at, _)| at).collect(),
            last: std::cell::Cell::new((usize::MAX, 0)),
        }
    }

    fn of(&self, node: Node<'_, '_>) -> String {
        let pos = node.range().start.min(self.text.len());
        let row = self.newlines.partition_point(|&n| n < pos);
        let line_start = if row == 0 {
            0
        } else {
            self.newlines[row - 1] + 1
        };
        let (last, last_col) = self.last.get();
        let col = match self.text.get(last..pos) {
            Some(between) if last >= line_start => last_col + between.chars().count(),
            _ => self.text[line_start..pos].chars().count() + 1,
        };
        self.last.set((pos, col));
        format!("line {}, column {col}", row + 1)
    }
}

fn place(node: Node<'_, '_>) -> String {
    let pos = node.document().text_pos_at(node.range().start);
    format!("line {}, column {}", pos.row, pos.col)
}

fn is(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name().eq_ignore_ascii_case(name)
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|c| is(*c, name))
}

fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children().filter(move |c| is(*c, name))
}

fn text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

fn opt_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text)
}

fn integer(node: Node<'_, '_>, what: &str) -> Result<i64, StudioError> {
    let t = text(node);
    let t = t.trim();
    // Web-canvas positions may be written with a fraction.
    t.parse::<i64>()
        .ok()
        .or_else(|| {
            t.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| f.round() as i64)
        })
        .ok_or_else(|| {
            StudioError::invalid(
                place(node),
                format!("<{what}> is {t:?}, expected an integer"),
            )
        })
}

fn opt_integer(node: Node<'_, '_>, name: &str) -> Result<Option<i64>, StudioError> {
    match child(node, name) {
        Some(c) if text(c).trim().is_empty() => Ok(None),
        Some(c) => integer(c, name).map(Some),
        None => Ok(None),
    }
}

/// The child elements of `node` not in `known`, as the file writes them.
fn unknown_elements(source: &str, node: Node<'_, '_>, known: &[&str]) -> Option<String> {
    let parts: Vec<&str> = node
        .children()
        .filter(|c| c.is_element())
        .filter(|c| !known.iter().any(|k| is(*c, k)))
        .filter_map(|c| source.get(c.range()))
        .collect();
    (!parts.is_empty()).then(|| parts.join(""))
}

/// The most XML nodes (elements, text runs, comments) a file may have: a
/// Studio action takes some 60, so this allows scripts of 30,000 actions
/// while a file of millions of empty elements is refused before it fills
/// memory.
pub const MAX_XML_NODES: u32 = 2_000_000;

/// roxmltree's error with the place it means: some errors carry none (a
/// DTD, the end of the text), and its message repeats the place it has.
fn syntax_error(source: &str, e: &roxmltree::Error) -> StudioError {
    use roxmltree::Error as E;
    let at_end = || {
        let line = source.matches('\n').count() + 1;
        let column = source.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    };
    let (line, column, message) = match e {
        E::DtdDetected => {
            let at = find_ignore_case(source, "<!DOCTYPE").unwrap_or(0);
            let before = &source[..at];
            (
                before.matches('\n').count() + 1,
                before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
                "a DTD (<!DOCTYPE ...>) is refused: Studio files have none, and no entity is ever expanded".to_string(),
            )
        }
        E::NodesLimitReached => (
            1,
            1,
            format!(
                "the file has more than {MAX_XML_NODES} XML nodes (the limit for a Studio file)"
            ),
        ),
        E::UnclosedRootNode | E::UnexpectedEndOfStream => {
            let (line, column) = at_end();
            (line, column, format!("the text ends early: {e}"))
        }
        _ => {
            let pos = e.pos();
            let message = e.to_string();
            let suffix = format!(" at {pos}");
            let message = match message.find(&suffix) {
                Some(at) => format!("{}{}", &message[..at], &message[at + suffix.len()..]),
                None => message,
            };
            let (line, column) = (pos.row as usize, pos.col as usize);
            // A token cut off by the end of the text (nothing closes it): say so.
            let rest = offset_of(source, line, column).map_or("", |at| &source[at..]);
            let message = if (line, column) == at_end() || !rest.contains('>') {
                format!("the text ends early: {message}")
            } else {
                message
            };
            (line, column, message)
        }
    };
    StudioError::XmlSyntax {
        line,
        column,
        message,
    }
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(source: &str, line: usize, column: usize) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        source.match_indices('\n').nth(line - 2)?.0 + 1
    };
    let rest = &source[start..];
    let within = rest
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(rest.len(), |(at, _)| at);
    Some(start + within)
}

/// The byte offset of `needle` (ASCII) in `haystack`, ignoring ASCII case.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Refuses a LibraryID (of `node`) that is neither empty nor a GUID: it
/// would be no action type or script Studio knows.
fn guid(node: Node<'_, '_>, value: Option<&str>) -> Result<(), StudioError> {
    match value.map(str::trim) {
        Some(l) if !l.is_empty() && !is_guid(l) => Err(StudioError::invalid(
            place(node),
            format!(
                "LibraryID {l:?} is no GUID (such as \"daee9c00-12ce-4222-a42e-307c37d53b7f\")"
            ),
        )),
        _ => Ok(()),
    }
}

/// Reads a Desktop Studio XML file's text.
pub fn parse(source: &str) -> Result<StudioScript, StudioError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let options = roxmltree::ParsingOptions {
        // No DTD, so no entity (external or recursive) is ever expanded.
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc =
        Document::parse_with_options(source, options).map_err(|e| syntax_error(source, &e))?;
    let places = Places::new(source);
    let root = doc.root_element();
    if !is(root, "ScriptContainer") {
        return Err(StudioError::invalid(
            place(root),
            format!(
                "the root element is <{}>, expected <ScriptContainer>",
                root.tag_name().name()
            ),
        ));
    }
    let mut script = StudioScript {
        format: "Desktop Studio XML".into(),
        ..StudioScript::default()
    };
    if let Some(item) = child(root, "LibraryItem") {
        script.name = item
            .attribute("Name")
            .map(str::to_string)
            .or_else(|| opt_text(item, "ImplPath"))
            .map(|n| {
                n.rsplit(['\\', '/'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|n| !n.is_empty());
    }
    script.media_type = opt_integer(root, "MediaType")?;
    let item = child(root, "LibraryItem");
    let full_name = item.and_then(|i| opt_text(i, "ImplPath"));
    if let Some(item) = item {
        guid(item, item.attribute("LibraryID"))?;
    }
    script.header = HeaderExtras {
        script_name: full_name.filter(|n| Some(n.trim()) != script.name.as_deref()),
        bus_no: root.attribute("BusNo").and_then(|b| b.trim().parse().ok()),
        library_id: item
            .and_then(|i| i.attribute("LibraryID"))
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string),
        user_id: root.attribute("UserID").and_then(|b| b.trim().parse().ok()),
        modify_date: opt_text(root, "ModifyDate"),
        xml: unknown_elements(source, root, ROOT_ELEMENTS),
        ..HeaderExtras::default()
    };
    let actions = child(root, "Actions")
        .ok_or_else(|| StudioError::invalid(place(root), "no <Actions> element"))?;
    let mut ids = BTreeSet::new();
    let mut pending = Vec::new();
    for node in children(actions, "ActionStruct") {
        let at = places.of(node);
        let id_node = child(node, "ActionID")
            .ok_or_else(|| StudioError::invalid(&at, "an <ActionStruct> without <ActionID>"))?;
        let id = integer(id_node, "ActionID")?;
        if id < 1 {
            // As `check` requires of a studio block, at the file's own place.
            return Err(StudioError::invalid(
                place(id_node),
                format!("Studio ActionIDs are whole numbers from 1, not {id}"),
            ));
        }
        if id > MAX_ACTION_ID {
            return Err(StudioError::invalid(
                place(id_node),
                format!("Studio ActionIDs are 32-bit: at most {MAX_ACTION_ID}, not {id}"),
            ));
        }
        if let Some(l) = child(node, "LibraryID") {
            guid(l, Some(&text(l)))?;
        }
        if !ids.insert(id) {
            return Err(StudioError::DuplicateActionId { path: at, id });
        }
        let keyword = opt_text(node, "Action")
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                StudioError::invalid(&at, "no action type (the <Action> element, e.g. MENU)")
            })?;
        let properties = match child(node, "Parameters") {
            None => Vec::new(),
            Some(params) => children(params, "string")
                .enumerate()
                .map(|(position, s)| {
                    if position >= MAX_PROPERTIES {
                        return Err(StudioError::invalid(
                            place(s),
                            format!(
                                "parameter {}: an action has at most {MAX_PROPERTIES} properties",
                                position + 1
                            ),
                        ));
                    }
                    Ok(StudioProperty {
                        position,
                        name: None,
                        value: PropertyValue::Text(text(s)),
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let x = opt_integer(node, "X")?;
        let y = opt_integer(node, "Y")?;
        let xws = opt_integer(node, "xws")?;
        let yws = opt_integer(node, "yws")?;
        let position = (x.is_some() || y.is_some()).then(|| Position {
            x: x.unwrap_or(0),
            y: y.unwrap_or(0),
            xws,
            yws,
        });
        script.actions.push(StudioAction {
            id,
            keyword,
            caption: opt_text(node, "Caption").unwrap_or_default(),
            library_id: opt_text(node, "LibraryID")
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
            properties,
            branches: Vec::new(),
            position,
            extras: ActionExtras {
                dependency_order: opt_text(node, "DependencyOrder"),
                impl_type: opt_text(node, "Impl_Type"),
                version: None,
                json: None,
                xml: unknown_elements(source, node, ACTION_ELEMENTS),
            },
            origin: at,
        });
        pending.push(node);
    }
    let mut order: Vec<usize> = (0..script.actions.len()).collect();
    order.sort_by_key(|&i| script.actions[i].id);
    for (i, node) in pending.into_iter().enumerate() {
        script.actions[i].branches = branches(node, &ids, &places)?;
    }
    let mut sorted: Vec<StudioAction> = order
        .into_iter()
        .map(|i| script.actions[i].clone())
        .collect();
    std::mem::swap(&mut script.actions, &mut sorted);
    Ok(script)
}

/// A branch's target: `None` when not connected (`-1`, empty).
fn target(
    node: Node<'_, '_>,
    element: &str,
    ids: &BTreeSet<i64>,
) -> Result<Option<i64>, StudioError> {
    let Some(t) = child(node, element) else {
        return Ok(None);
    };
    if text(t).trim().is_empty() {
        return Ok(None);
    }
    let id = integer(t, element)?;
    if id == -1 {
        return Ok(None);
    }
    if !ids.contains(&id) {
        return Err(StudioError::DanglingTarget {
            path: place(t),
            target: id,
        });
    }
    Ok(Some(id))
}

fn branches(
    node: Node<'_, '_>,
    ids: &BTreeSet<i64>,
    places: &Places<'_>,
) -> Result<Vec<StudioBranch>, StudioError> {
    let mut out = Vec::new();
    if let Some(d) = child(node, "DefaultNextAction") {
        if let Some(to) = target(d, "ActionID", ids)? {
            out.push(StudioBranch {
                kind: BranchKind::Default,
                target: to,
                origin: places.of(d),
            });
        }
    }
    if let Some(list) = child(node, "Branches") {
        for b in children(list, "BranchStruct") {
            if let Some(to) = target(b, "ActionID", ids)? {
                let name = opt_text(b, "Text").unwrap_or_default().trim().to_string();
                let index = opt_integer(b, "Index")?;
                out.push(StudioBranch {
                    kind: BranchKind::Named { name, index },
                    target: to,
                    origin: places.of(b),
                });
            }
        }
    }
    if let Some(list) = child(node, "Cases") {
        for b in children(list, "BranchStruct") {
            if let Some(to) = target(b, "ActionID", ids)? {
                let value = opt_text(b, "Text").unwrap_or_default();
                out.push(StudioBranch {
                    kind: BranchKind::Case(value),
                    target: to,
                    origin: places.of(b),
                });
            }
        }
    }
    // Newer exports may carry the connections only in ExtraInfo.
    if let Some(extra) = child(node, "ExtraInfo") {
        let mut more = Vec::new();
        if let Some(d) = child(extra, "DefaultBranch") {
            if let Some(to) = target(d, "ActionId", ids)? {
                more.push(StudioBranch {
                    kind: BranchKind::Default,
                    target: to,
                    origin: places.of(d),
                });
            }
        }
        for (list, case) in [("Branches", false), ("CaseBranches", true)] {
            if let Some(list) = child(extra, list) {
                for b in list.children().filter(|c| c.is_element()) {
                    if let Some(to) = target(b, "ActionId", ids)? {
                        let key = opt_text(b, "KeyName").unwrap_or_default();
                        let kind = if case {
                            BranchKind::Case(key)
                        } else {
                            BranchKind::Named {
                                name: key.trim().to_string(),
                                index: None,
                            }
                        };
                        more.push(StudioBranch {
                            kind,
                            target: to,
                            origin: places.of(b),
                        });
                    }
                }
            }
        }
        // The branch lists' connections first; ExtraInfo adds the others
        // (a set: a file may hold thousands of cases).
        let key = |b: &StudioBranch| match &b.kind {
            BranchKind::Default => (0, String::new()),
            BranchKind::Case(x) => (1, x.clone()),
            BranchKind::Named { name, .. } => (2, name.to_ascii_lowercase()),
        };
        let mut seen: std::collections::HashSet<(u8, String)> = out.iter().map(key).collect();
        for b in more {
            if seen.insert(key(&b)) {
                out.push(b);
            }
        }
    }
    Ok(out)
}
