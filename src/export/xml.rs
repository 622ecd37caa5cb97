//! Desktop Studio XML, as Desktop Studio's .NET serializer writes it:
//! the XML declaration, two-space indentation, CRLF, `<string />` for an
//! empty value, no newline after `</ScriptContainer>`, actions listed from
//! the highest ActionID down.

use std::fmt::Write as _;

use crate::studio::{BranchKind, StudioAction, StudioScript};

/// Text escaped for an element's content (newlines as CRLF, as Desktop
/// Studio writes them).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let normalized = text.replace("\r\n", "\n");
    for c in normalized.chars() {
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

fn attribute(text: &str) -> String {
    escape(text)
        .replace('"', "&quot;")
        .replace("\r\n", "&#xD;&#xA;")
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
pub(super) fn write(script: &StudioScript) -> String {
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
    match &h.xml {
        Some(extra) => w.line(1, &extra.replace("\r\n", "\n").replace('\n', "\r\n")),
        None => {
            let name = h
                .script_name
                .clone()
                .or_else(|| script.name.clone())
                .unwrap_or_default();
            let short = name.rsplit(['\\', '/']).next().unwrap_or("").to_string();
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
    }
    w.element(1, "MediaType", &script.media_type.unwrap_or(0).to_string());
    w.element(
        1,
        "ModifyDate",
        h.modify_date.as_deref().unwrap_or("0001-01-01T00:00:00"),
    );
    w.out.push_str("</ScriptContainer>");
    w.out
}
