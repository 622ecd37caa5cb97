//! Desktop Studio XML, as Desktop Studio's .NET serializer writes it:
//! the XML declaration, two-space indentation, CRLF, `<string />` for an
//! empty value, no newline after `</ScriptContainer>`, actions listed from
//! the highest ActionID down.

use std::fmt::Write as _;

use crate::studio::kept::{last_segment, not_xml, split_library_item};
use crate::studio::{BranchKind, StudioAction, StudioScript};

/// Text escaped for an element's content: a line end as CRLF, as Desktop
/// Studio writes it (an XML reader reads it back as LF), and every CR as
/// `&#xD;` (read back as CR), so that LF, CRLF and a lone CR all come back
/// as they were.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("\r\n"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Text escaped for an attribute's value: tabs and line ends as
/// references, which an XML reader does not normalize to spaces.
fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// What XML cannot hold, and where: the action's `.script` id (`None` for
/// the script itself) and the message.
pub(super) struct Unwritable {
    pub(super) action: Option<String>,
    pub(super) message: String,
}

/// Refuses what XML 1.0 cannot hold at all, not even as `&#x1;` (control
/// characters other than tab, LF and CR; U+FFFE, U+FFFF), naming the
/// action and where in it: written, the file would be one no XML reader
/// (Desktop Studio's, or the import's) reads. JSON holds them.
fn refuse_unwritable(script: &StudioScript) -> Result<(), Unwritable> {
    let hint = "XML 1.0 cannot hold it: export as JSON, or remove the character";
    let h = &script.header;
    for (what, text) in [
        ("name", script.name.as_deref()),
        ("ScriptName", h.script_name.as_deref()),
        ("LibraryID", h.library_id.as_deref()),
        ("ModifyDate", h.modify_date.as_deref()),
    ] {
        if let Some(c) = text.and_then(not_xml) {
            return Err(Unwritable {
                action: None,
                message: format!("the script's {what} holds {c}: {hint}"),
            });
        }
    }
    for a in &script.actions {
        let fail = |what: String, c: String| Unwritable {
            action: Some(a.origin.clone()),
            message: format!("its {what} holds {c}: {hint}"),
        };
        for (what, text) in [
            ("keyword", Some(a.keyword.as_str())),
            ("caption", Some(a.caption.as_str())),
            ("LibraryID", a.library_id.as_deref()),
            ("DependencyOrder", a.extras.dependency_order.as_deref()),
            ("ImplType", a.extras.impl_type.as_deref()),
        ] {
            if let Some(c) = text.and_then(not_xml) {
                return Err(fail(what.to_string(), c));
            }
        }
        for p in &a.properties {
            if let Some(c) = not_xml(&p.value.text()) {
                let name = p.name.clone().unwrap_or_else(|| p.position.to_string());
                return Err(fail(format!("property {name}"), c));
            }
        }
        for b in &a.branches {
            let (what, text) = match &b.kind {
                BranchKind::Case(label) => (format!("Case {label:?} label"), label.as_str()),
                BranchKind::Named { name, .. } => (format!("branch {name:?}"), name.as_str()),
                BranchKind::Default => continue,
            };
            if let Some(c) = not_xml(text) {
                return Err(fail(what, c));
            }
        }
    }
    Ok(())
}

struct Writer {
    out: String,
}

impl Writer {
    fn line(&mut self, depth: usize, text: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push_str("\r\n");
    }

    /// `<name>text</name>`, or `<name />` when empty.
    fn element(&mut self, depth: usize, name: &str, text: &str) {
        if text.is_empty() {
            self.line(depth, &format!("<{name} />"));
        } else {
            self.line(depth, &format!("<{name}>{}</{name}>", escape(text)));
        }
    }

    fn branch(&mut self, depth: usize, element: &str, text: &str, target: i64, index: i64) {
        self.line(depth, &format!("<{element}>"));
        self.element(depth + 1, "Text", text);
        self.element(depth + 1, "ActionID", &target.to_string());
        self.element(depth + 1, "Index", &index.to_string());
        self.line(depth + 1, "<Segments />");
        self.line(depth, &format!("</{element}>"));
    }

    fn action(&mut self, a: &StudioAction) {
        self.line(2, "<ActionStruct>");
        self.element(3, "ActionID", &a.id.to_string());
        self.element(3, "Action", &a.keyword);
        self.element(3, "Caption", &a.caption);
        if a.properties.is_empty() {
            self.line(3, "<Parameters />");
        } else {
            self.line(3, "<Parameters>");
            for p in &a.properties {
                let text = p.value.text();
                self.element(4, "string", &text);
            }
            self.line(3, "</Parameters>");
        }
        for b in &a.branches {
            if b.kind == BranchKind::Default {
                self.branch(3, "DefaultNextAction", "", b.target, 0);
            }
        }
        for (list, case) in [("Branches", false), ("Cases", true)] {
            let items: Vec<_> = a
                .branches
                .iter()
                .filter(|b| match b.kind {
                    BranchKind::Case(_) => case,
                    BranchKind::Named { .. } => !case,
                    BranchKind::Default => false,
                })
                .collect();
            if items.is_empty() {
                self.line(3, &format!("<{list} />"));
                continue;
            }
            self.line(3, &format!("<{list}>"));
            for b in items {
                match &b.kind {
                    BranchKind::Named { name, index } => {
                        self.branch(4, "BranchStruct", name, b.target, index.unwrap_or(0))
                    }
                    BranchKind::Case(label) => self.branch(4, "BranchStruct", label, b.target, 0),
                    BranchKind::Default => {}
                }
            }
            self.line(3, &format!("</{list}>"));
        }
        let p = a.position.unwrap_or_default();
        self.element(3, "X", &p.x.to_string());
        self.element(3, "Y", &p.y.to_string());
        self.element(
            3,
            "DependencyOrder",
            a.extras.dependency_order.as_deref().unwrap_or("0"),
        );
        self.element(3, "Impl_Type", a.extras.impl_type.as_deref().unwrap_or("0"));
        self.element(3, "LibraryID", a.library_id.as_deref().unwrap_or(""));
        if let Some(x) = p.xws {
            self.element(3, "xws", &x.to_string());
        }
        if let Some(y) = p.yws {
            self.element(3, "yws", &y.to_string());
        }
        if let Some(extra) = &a.extras.xml {
            self.line(3, &extra.replace("\r\n", "\n").replace('\n', "\r\n"));
        }
        self.line(2, "</ActionStruct>");
    }
}

/// The model as Desktop Studio XML.
pub(super) fn write(script: &StudioScript) -> Result<String, Unwritable> {
    refuse_unwritable(script)?;
    let h = &script.header;
    let mut w = Writer { out: String::new() };
    w.line(0, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let mut root = String::from("<ScriptContainer xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
    let _ = write!(root, " BusNo=\"{}\"", h.bus_no.unwrap_or(0));
    let _ = write!(root, " UserID=\"{}\">", h.user_id.unwrap_or(0));
    w.line(0, &root);
    if script.actions.is_empty() {
        w.line(1, "<Actions />");
    } else {
        w.line(1, "<Actions>");
        for a in script.actions.iter().rev() {
            w.action(a);
        }
        w.line(1, "</Actions>");
    }
    // The kept LibraryItem (its icon, URI, ...), else one describing the
    // script; then the other root elements the import kept.
    let kept_item = h
        .xml
        .as_deref()
        .and_then(split_library_item)
        .is_some_and(|(item, _)| item.is_some());
    if !kept_item {
        let name = h
            .script_name
            .clone()
            .or_else(|| script.name.clone())
            .unwrap_or_default();
        let short = last_segment(&name).to_string();
        let library = h.library_id.as_deref().unwrap_or("");
        w.line(
            1,
            &format!(
                "<LibraryItem LibraryID=\"{}\" BusNo=\"{}\" Name=\"{}\" Alias=\"{}\" MediaType=\"{}\">",
                attribute(library),
                h.bus_no.unwrap_or(0),
                attribute(&short),
                attribute(&short),
                script.media_type.unwrap_or(0)
            ),
        );
        w.element(2, "ImplPath", &name);
        w.line(1, "</LibraryItem>");
    }
    if let Some(extra) = &h.xml {
        w.line(1, &extra.replace("\r\n", "\n").replace('\n', "\r\n"));
    }
    w.element(1, "MediaType", &script.media_type.unwrap_or(0).to_string());
    w.element(
        1,
        "ModifyDate",
        h.modify_date.as_deref().unwrap_or("0001-01-01T00:00:00"),
    );
    w.out.push_str("</ScriptContainer>");
    Ok(w.out)
}
