//! What a `studio { ... }` block may keep, checked alike by `check` (as
//! diagnostics) and by [`crate::export::export`] (which does not compile
//! the script first): an entry must be something an import could have
//! written, so that an export writes a file its import reads back as the
//! same script, and a block can never forge another action's identity,
//! type or branches (a `Json` `"actionId"`, an `Xml` `<DefaultNextAction>`,
//! a `Keyword` of another type).
//!
//! ```
//! use studioflow::studio::kept::{check_block, Owner};
//! let ast = studioflow::syntax::parse_script(
//!     "start: Begin { studio { Json = \"{\\\"label\\\": \\\"forged\\\"}\" } }",
//! ).unwrap();
//! let block = ast.actions[0].studio.as_ref().unwrap();
//! let problems = check_block(block, &Owner::Action { keyword: "BEGIN" });
//! assert!(problems[0].1.contains("\"label\""), "{problems:?}");
//! ```

pub use super::fields::{
    is_guid, ACTION_ELEMENTS, ACTION_FIELDS, HEADER_FIELDS, MAX_ACTION_ID, MAX_PROPERTIES,
    MAX_TOTAL_PROPERTIES, ROOT_ELEMENTS,
};
use super::table;
use super::values::is_name;
use crate::diagnostics::Span;
use crate::syntax::ast::{StudioBlock, StudioEntry, StudioValue};

/// Whose block it is.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// The block after the header (the script's).
    Header,
    /// An action's block; `keyword` is Studio's keyword for its type
    /// (`MENU`), or its type as written for an action the table does not
    /// know.
    Action {
        /// The keyword a `Keyword` entry may only respell.
        keyword: &'a str,
    },
}

/// A canvas coordinate as the readers take it: an integer, or a number
/// with a fraction (web-canvas positions) rounded, within ±10^15.
pub fn coordinate(text: &str) -> Option<i64> {
    let t = text.trim();
    t.parse::<i64>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && f.abs() < 1e15)
            .map(|f| f.round() as i64)
    })
}

/// Whether XML 1.0 can hold `c` (its `Char` production): not the C0
/// controls other than tab, LF and CR, nor U+FFFE and U+FFFF, not even
/// as a character reference.
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `text` XML 1.0 cannot hold, as `U+0001`.
pub fn not_xml(text: &str) -> Option<String> {
    text.chars()
        .find(|&c| !xml_char(c))
        .map(|c| format!("U+{:04X}", c as u32))
}

/// The namespaces Desktop Studio's root element declares (and export
/// writes), so kept elements may use their prefixes (`xsi:nil="true"` is
/// how .NET writes a null).
const ROOT_NAMESPACES: &str = r#"xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;

/// Checks a kept `Json` entry: a JSON object holding none of `reserved`.
pub fn json_extra(text: &str, reserved: &[&str]) -> Result<(), String> {
    let value = super::json::value_of(text).map_err(|e| format!("is no JSON object: {e}"))?;
    let object = value
        .as_object()
        .ok_or("is no JSON object (a `{...}`)".to_string())?;
    match object.keys().find(|k| reserved.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "may not hold {key:?}: export writes that field itself (it is the body's, or another entry's)"
        )),
        None => Ok(()),
    }
}

/// Checks a kept `Xml` entry: well-formed elements (comments and blank
/// text between them allowed), none of them one of `reserved`, using no
/// namespace prefix but `xsi` and `xsd` unless it declares it.
pub fn xml_extra(text: &str, reserved: &[&str]) -> Result<(), String> {
    let wrapped = format!("<r {ROOT_NAMESPACES}>{text}</r>");
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: super::xml::MAX_XML_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(&wrapped, options)
        .map_err(|e| format!("is no well-formed XML elements: {e}"))?;
    for node in doc.root_element().children() {
        if node.is_text() && !node.text().unwrap_or("").trim().is_empty() {
            return Err("holds text outside an element: only elements are kept".into());
        }
        if !node.is_element() {
            continue;
        }
        let name = node.tag_name().name();
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(format!(
                "may not hold <{name}>: the reader maps that element itself, so it would change the action or script export writes"
            ));
        }
    }
    Ok(())
}

/// The `LibraryItem` among a header `Xml` entry's elements (Desktop
/// Studio's description of the script: its name, folder, icon), as the
/// XML reader reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryItem {
    /// The script's name it gives (`Name`, else `ImplPath`'s last segment).
    pub name: Option<String>,
    /// Its `MediaType` attribute.
    pub media_type: Option<i64>,
}

/// A header `Xml` entry split into its first `LibraryItem` (when it has
/// one) and the text of its other elements; `None` when it is no
/// well-formed XML (which `check` refuses).
pub fn split_library_item(text: &str) -> Option<(Option<LibraryItem>, String)> {
    let wrapped = format!("<r {ROOT_NAMESPACES}>{text}</r>");
    let doc = roxmltree::Document::parse(&wrapped).ok()?;
    let mut item = None;
    let mut rest = String::new();
    for node in doc.root_element().children().filter(|n| n.is_element()) {
        if item.is_none() && node.tag_name().name().eq_ignore_ascii_case("LibraryItem") {
            let path = node
                .children()
                .find(|c| c.is_element() && c.tag_name().name().eq_ignore_ascii_case("ImplPath"))
                .map(|c| c.children().filter_map(|t| t.text()).collect::<String>());
            let name = node
                .attribute("Name")
                .map(str::to_string)
                .or(path)
                .map(|n| last_segment(&n).trim().to_string())
                .filter(|n| !n.is_empty());
            let media_type = node
                .attribute("MediaType")
                .and_then(|m| m.trim().parse().ok());
            item = Some(LibraryItem { name, media_type });
        } else {
            rest.push_str(&wrapped[node.range()]);
        }
    }
    Some((item, rest))
}

/// The last segment of a Studio script path (`Support\Phone line`: folders
/// are separated by `\`, or `/`).
pub fn last_segment(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or("")
}

/// One entry of an opaque action's `Branches` list, `Written=Name` or
/// `Written=Name:index`: the body's branch `Written` is Studio's `Name`
/// (with its index). `Written` must be what an import writes for `Name`
/// (`Error` for `OnError`, else `Name` itself), so that the export's
/// import reads the same branch back.
pub fn branch_spelling(entry: &str) -> Result<(String, String, Option<i64>), String> {
    let (written, rest) = entry
        .split_once('=')
        .ok_or_else(|| format!("{entry:?} is not Written=Name or Written=Name:index"))?;
    let (name, index) = match rest.rsplit_once(':') {
        Some((name, index)) => {
            let index = index
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{entry:?}: the index {index:?} is no whole number"))?;
            (name, Some(index))
        }
        None => (rest, None),
    };
    let imported = if name.eq_ignore_ascii_case("Error") || name.eq_ignore_ascii_case("OnError") {
        Some("Error")
    } else if is_name(name)
        && !name.eq_ignore_ascii_case("Default")
        && !name.eq_ignore_ascii_case("Case")
    {
        Some(name)
    } else {
        None
    };
    match imported {
        Some(w) if w == written => Ok((written.to_string(), name.to_string(), index)),
        Some(w) => Err(format!(
            "{entry:?}: Studio's branch {name:?} is the body's `{w}`, not `{written}`"
        )),
        None => Err(format!(
            "{entry:?}: {name:?} is no branch name an import could write back"
        )),
    }
}

/// The action type a LibraryID belongs to, when the table knows it.
fn library_owner(guid: &str) -> Option<&'static str> {
    let g = guid.trim_start_matches('{').trim_end_matches('}');
    table::ACTIONS
        .iter()
        .find(|d| d.library_id.is_some_and(|l| l.eq_ignore_ascii_case(g)))
        .map(|d| d.keyword)
}

fn whole(v: &StudioValue) -> Option<i64> {
    match v {
        StudioValue::Number(n) => n.parse::<i64>().ok(),
        _ => None,
    }
}

fn list_len(v: &StudioValue) -> Option<usize> {
    match v {
        StudioValue::List(items) => Some(items.len()),
        _ => None,
    }
}

/// What is wrong with one entry's value, if anything.
fn entry_problem(e: &StudioEntry, owner: &Owner<'_>) -> Option<String> {
    let name = e.name.as_str();
    let header = matches!(owner, Owner::Header);
    let shape = |what: &str| Some(format!("studio entry `{name}` must be {what}"));
    let text = match &e.value {
        StudioValue::Text(t) => Some(t.as_str()),
        _ => None,
    };
    match name.to_ascii_lowercase().as_str() {
        "actionid" if !header => match whole(&e.value) {
            Some(n) if n < 1 => Some(format!(
                "Studio ActionIDs are whole numbers from 1, not {n}"
            )),
            Some(n) if n > MAX_ACTION_ID => Some(format!(
                "Studio ActionIDs are 32-bit: at most {MAX_ACTION_ID}, not {n}"
            )),
            Some(_) => None,
            None => shape(&format!("a whole number from 1 to {MAX_ACTION_ID}")),
        },
        "busno" | "mediatype" | "userid" if header => match whole(&e.value) {
            Some(_) => None,
            None => shape("a whole number"),
        },
        "propertycount" if !header => match whole(&e.value) {
            Some(n) if (0..=MAX_PROPERTIES as i64).contains(&n) => None,
            _ => shape(&format!("a whole number from 0 to {MAX_PROPERTIES}")),
        },
        "x" | "y" | "xws" | "yws" if !header => match &e.value {
            StudioValue::Number(n) if coordinate(n).is_some() => None,
            _ => shape("a number within ±10^15"),
        },
        "libraryid" => match text {
            Some("") => None,
            Some(t) if is_guid(t) => match (owner, library_owner(t)) {
                (Owner::Action { keyword }, Some(other)) if !other.eq_ignore_ascii_case(keyword) => {
                    Some(format!(
                        "studio entry `LibraryID`: {t} is the LibraryID of {other}, so Studio would take this action for one"
                    ))
                }
                _ => None,
            },
            _ => shape("a GUID string such as \"daee9c00-12ce-4222-a42e-307c37d53b7f\", or \"\""),
        },
        "json" => match text {
            Some(t) => json_extra(t, if header { HEADER_FIELDS } else { ACTION_FIELDS })
                .err()
                .map(|m| format!("studio entry `Json` {m}")),
            None => shape("a string holding a JSON object"),
        },
        "xml" => match text {
            Some(t) => xml_extra(t, if header { ROOT_ELEMENTS } else { ACTION_ELEMENTS })
                .err()
                .map(|m| format!("studio entry `Xml` {m}")),
            None => shape("a string holding XML elements"),
        },
        "keyword" if !header => match (text, owner) {
            (Some(t), Owner::Action { keyword }) if t.trim().eq_ignore_ascii_case(keyword) && !t.trim().is_empty() => None,
            (Some(t), Owner::Action { keyword }) => Some(format!(
                "studio entry `Keyword` is {t:?}: it may only respell the action's own keyword {keyword} (the type is the action's, written before its caption)"
            )),
            _ => shape("a string"),
        },
        "parameters" | "parameternames" if !header => match list_len(&e.value) {
            Some(n) if n <= MAX_PROPERTIES => None,
            Some(n) => Some(format!(
                "studio entry `{name}` has {n} items: an action has at most {MAX_PROPERTIES} properties"
            )),
            None => shape("a list of strings"),
        },
        "branches" if !header => match &e.value {
            StudioValue::List(items) => items
                .iter()
                .find_map(|i| branch_spelling(i).err())
                .map(|m| format!("studio entry `Branches`: {m}")),
            _ => shape("a list of strings"),
        },
        "scriptname" | "mediatypename" | "modifydate" | "dependencyorder" | "impltype"
        | "version"
            if text.is_none() =>
        {
            shape("a string")
        }
        _ => None,
    }
}

/// The problems of `block` (the entries' values, and names written twice),
/// each with the place it is written. Which entry names an action's type
/// takes is the compiler's business (it knows the action's schema).
pub fn check_block(block: &StudioBlock, owner: &Owner<'_>) -> Vec<(Span, String)> {
    let mut problems = Vec::new();
    for (k, e) in block.entries.iter().enumerate() {
        if block.entries[..k]
            .iter()
            .any(|f| f.name.eq_ignore_ascii_case(&e.name))
        {
            problems.push((
                e.name_span,
                format!("`{}` is written twice in this studio block", e.name),
            ));
        }
        if let Some(message) = entry_problem(e, owner) {
            problems.push((e.value_span, message));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_chars_follow_the_char_production() {
        for c in ['\u{0}', '\u{1}', '\u{b}', '\u{1f}', '\u{fffe}', '\u{ffff}'] {
            assert!(!xml_char(c), "{c:?}");
        }
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{7f}',
            '\u{d7ff}',
            '\u{e000}',
            '\u{10ffff}',
        ] {
            assert!(xml_char(c), "{c:?}");
        }
        assert_eq!(not_xml("ab\u{1}").as_deref(), Some("U+0001"));
    }

    #[test]
    fn branch_spellings_must_read_back() {
        assert!(branch_spelling("Error=OnError:1").is_ok());
        assert!(branch_spelling("Busy=Busy").is_ok());
        for bad in [
            "x",
            "Busy=Foo<Bar>",
            "Busy=Busy:one",
            "Error=Busy",
            "Busy=Default",
        ] {
            assert!(branch_spelling(bad).is_err(), "{bad}");
        }
    }
}
