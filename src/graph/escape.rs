//! Escaping for every output format. Everything a user wrote (ids,
//! captions, labels, values) goes through one of these before it is
//! written, so text always shows as text.

/// Text for HTML and SVG (XML) content and attribute values: `& < > " '`
/// become entities; characters XML forbids become U+FFFD.
///
/// ```
/// assert_eq!(
///     studioflow::graph::escape::html("</script><img src=x onerror=alert(1)>"),
///     "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
/// );
/// ```
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20
                || (0x7f..0xa0).contains(&(c as u32))
                || c == '\u{fffe}'
                || c == '\u{ffff}' =>
            {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// A DOT double-quoted string's content: `\` and `"` escaped, line breaks
/// and control characters written as spaces (Graphviz would otherwise read
/// `\n`, `\l`, `\N`... as its own escapes).
///
/// ```
/// assert_eq!(studioflow::graph::escape::dot(r#"say "hi" \N"#), r#"say \"hi\" \\N"#);
/// ```
pub fn dot(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a Mermaid quoted label: every character Mermaid or the HTML
/// it renders to could read as syntax becomes an entity code (`#60;`).
///
/// ```
/// assert_eq!(studioflow::graph::escape::mermaid("a<b> \"c\""), "a#60;b#62; #34;c#34;");
/// ```
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' | '>' | '&' | '"' | '#' | '`' | '|' => {
                out.push('#');
                out.push_str(&(c as u32).to_string());
                out.push(';');
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// JSON for an inline `<script>` block: `<`, `>`, `&` and the JavaScript
/// line separators are written as `\u` escapes, so no string can close the
/// script element.
///
/// ```
/// let json = studioflow::graph::escape::script_json(&serde_json::json!({"a": "</script>"}));
/// assert_eq!(json, r#"{"a":"\u003c/script\u003e"}"#);
/// ```
pub fn script_json(value: &serde_json::Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Shortens text to at most `max` characters, ending with `…` when cut.
///
/// ```
/// assert_eq!(studioflow::graph::escape::clip("abcdef", 4), "abc…");
/// assert_eq!(studioflow::graph::escape::clip("abc", 4), "abc");
/// ```
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
