//! Where the cursor is, for completion: read from the text before it, not
//! from the syntax tree (a half-typed action is not in the tree). A forward
//! scan that knows strings, templates, comments, `"""` blocks, action
//! bodies and where an entry's name, value and branch target are. It never
//! slices outside a character boundary: every place it stops at is an
//! ASCII byte or the cursor.

/// What the cursor is in.
#[derive(Debug, PartialEq)]
pub(crate) enum Context {
    /// Nothing to offer (a comment, a string's text, a caption, a label).
    Nothing,
    /// An action's type: after `id:` (`line_start`: a new line at the top,
    /// where the id is still to be written).
    ActionType { line_start: bool },
    /// The header's `type`.
    ScriptType,
    /// A name in an action's body: properties and branches.
    Entry {
        action_type: String,
        written: Vec<String>,
    },
    /// After `->`.
    Target,
    /// A value; `property`: the body's property it is the value of
    /// (directly, not inside parentheses or a template).
    Value {
        action_type: Option<String>,
        property: Option<String>,
        snippet: bool,
    },
    /// After `.`: a method (`snippet`: in Snippet code).
    Method { snippet: bool },
    /// Snippet code, at a statement's level.
    Snippet,
}

/// Where an expression is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expr {
    /// An operand is expected.
    Operand,
    /// An operand was read.
    AfterOperand,
    /// After `.`.
    Member,
}

/// Where an action body is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Body {
    /// An entry's name is expected.
    Name,
    /// After an entry's name.
    AfterName,
    /// After a branch's label.
    Label,
    /// In a property's value.
    Value(Expr),
    /// After `->`.
    Target,
}

/// Where the top level is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Top {
    Start,
    Ident,
    Colon,
    TypeName,
    TypeKeyword,
    Other,
}

#[derive(Debug, Clone)]
enum Frame {
    Top {
        state: Top,
        action_type: String,
        header: bool,
        last_word: String,
    },
    Body {
        action_type: String,
        state: Body,
        written: Vec<String>,
        current: String,
    },
    /// `studio { ... }` (or a stray `{`): raw values only.
    Studio,
    /// `(` or `[`, closed by the byte.
    Group { close: u8, state: Expr },
    /// `{` of a template.
    Interp { state: Expr },
    /// A string; `template`: `{` starts an expression; `dollar`: `$"..."`.
    Str { quote: u8, template: bool },
    /// A `"""` block.
    Code { start: usize },
    /// Snippet code at a statement's level (a scan of its own).
    Statements { dot: bool },
}

pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The start of the word ending at `offset` (identifier bytes only).
pub(crate) fn word_start(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let mut start = offset.min(bytes.len());
    while start > 0 && is_word_byte(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// The byte after a comment starting at `i` (`//` to the line's end).
fn skip_comment(bytes: &[u8], i: usize) -> usize {
    let mut j = i;
    while j < bytes.len() && bytes[j] != b'\n' && bytes[j] != b'\r' {
        j += 1;
    }
    j
}

/// The context of a cursor whose word starts at `end`.
pub(crate) fn context(text: &str, end: usize) -> Context {
    let bytes = &text.as_bytes()[..end.min(text.len())];
    let mut stack = vec![Frame::Top {
        state: Top::Start,
        action_type: String::new(),
        header: false,
        last_word: String::new(),
    }];
    let mut i = 0;
    while i < bytes.len() {
        let frame = stack.last_mut().expect("the top frame stays");
        match frame {
            Frame::Str { quote, template } => {
                let (quote, template) = (*quote, *template);
                let (next, closed) = string_step(bytes, i, &mut stack, quote, template);
                if closed {
                    after_string(&mut stack);
                }
                i = next;
                continue;
            }
            Frame::Code { start } => {
                let start = *start;
                match find_triple(bytes, i) {
                    Some(close) => {
                        stack.pop();
                        after_operand(&mut stack);
                        i = close + 3;
                    }
                    None => return snippet_context(text, start, end),
                }
                continue;
            }
            _ => {}
        }
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let j = skip_comment(bytes, i);
            if j >= bytes.len() {
                return Context::Nothing;
            }
            i = j;
            continue;
        }
        // Strings, `"""` blocks, datetimes.
        if b == b'"' || b == b'\'' || (b == b'$' || b == b'#') && bytes.get(i + 1) == Some(&b'"') {
            if b == b'"' && bytes.get(i + 1) == Some(&b'"') && bytes.get(i + 2) == Some(&b'"') {
                stack.push(Frame::Code { start: i + 3 });
                i += 3;
                continue;
            }
            let quote = if b == b'\'' { b'\'' } else { b'"' };
            let template = b != b'#' && in_value(&stack);
            stack.push(Frame::Str { quote, template });
            i += if b == b'$' || b == b'#' { 2 } else { 1 };
            continue;
        }
        if is_word_byte(b) && !b.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len() && is_word_byte(bytes[j]) {
                j += 1;
            }
            // `global:name`
            if bytes.get(j) == Some(&b':')
                && text
                    .get(i..j)
                    .is_some_and(|w| w.eq_ignore_ascii_case("global"))
                && !matches!(stack.last(), Some(Frame::Top { .. }))
            {
                j += 1;
                while j < bytes.len() && is_word_byte(bytes[j]) {
                    j += 1;
                }
            }
            let word = text.get(i..j).unwrap_or("").to_string();
            word_token(&mut stack, word);
            i = j;
            continue;
        }
        if b.is_ascii_digit() {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'.') {
                j += 1;
            }
            literal_token(&mut stack);
            i = j;
            continue;
        }
        if b == b'-' && bytes.get(i + 1) == Some(&b'>') {
            if let Some(Frame::Body { state, .. }) = stack.last_mut() {
                *state = Body::Target;
            }
            i += 2;
            continue;
        }
        punct_token(&mut stack, b);
        i += 1;
    }
    at_end(&stack, text, end)
}

/// Whether a string starting here is a template (a value), not a raw
/// string (a caption, a label, the header's name, a studio block's value).
fn in_value(stack: &[Frame]) -> bool {
    match stack.last() {
        Some(Frame::Body { state, .. }) => matches!(state, Body::Value(_)),
        Some(Frame::Group { .. } | Frame::Interp { .. }) => true,
        _ => false,
    }
}

fn find_triple(bytes: &[u8], from: usize) -> Option<usize> {
    let mut j = from;
    while j + 3 <= bytes.len() {
        if &bytes[j..j + 3] == b"\"\"\"" {
            return Some(j);
        }
        j += 1;
    }
    None
}

/// After a string closes: its frame was a value, a caption or a label.
fn after_string(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Body { state, .. }) => {
            *state = match *state {
                Body::AfterName | Body::Label => Body::Label,
                Body::Value(_) => Body::Value(Expr::AfterOperand),
                other => other,
            }
        }
        Some(Frame::Top { state, .. }) => *state = Top::Other,
        _ => after_operand(stack),
    }
}

fn after_operand(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Body { state, .. }) => {
            if let Body::Value(_) = state {
                *state = Body::Value(Expr::AfterOperand);
            }
        }
        Some(Frame::Group { state, .. } | Frame::Interp { state }) => *state = Expr::AfterOperand,
        _ => {}
    }
}

fn literal_token(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Body { state, .. }) => {
            *state = match *state {
                Body::AfterName | Body::Label => Body::Label,
                Body::Value(_) => Body::Value(Expr::AfterOperand),
                _ => Body::Name,
            }
        }
        Some(Frame::Top { state, .. }) => *state = Top::Other,
        _ => after_operand(stack),
    }
}

/// The next state of an expression after a word.
fn expr_word(state: Expr, word: &str) -> Expr {
    let operator = ["and", "or", "not"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word));
    match state {
        Expr::Operand if operator => Expr::Operand,
        Expr::AfterOperand if operator => Expr::Operand,
        _ => Expr::AfterOperand,
    }
}

fn word_token(stack: &mut [Frame], word: String) {
    match stack.last_mut() {
        Some(Frame::Top {
            state,
            action_type,
            header,
            last_word,
        }) => {
            if *state == Top::Start && word.eq_ignore_ascii_case("script") {
                *header = true;
                *state = Top::Other;
            } else if *state == Top::Colon {
                *action_type = word.clone();
                *state = Top::TypeName;
            } else if *header && word.eq_ignore_ascii_case("type") {
                *state = Top::TypeKeyword;
            } else {
                *state = Top::Ident;
            }
            *last_word = word;
        }
        Some(Frame::Body { state, current, .. }) => {
            *state = match *state {
                Body::Value(e) => {
                    let next = expr_word(e, &word);
                    if e == Expr::AfterOperand && next == Expr::AfterOperand {
                        // A value was complete: this is the next entry's name.
                        *current = word.clone();
                        Body::AfterName
                    } else {
                        Body::Value(next)
                    }
                }
                Body::Target => Body::Name,
                Body::Label => Body::Label,
                Body::Name | Body::AfterName => {
                    *current = word.clone();
                    Body::AfterName
                }
            };
        }
        Some(Frame::Group { state, .. } | Frame::Interp { state }) => {
            *state = expr_word(*state, &word);
        }
        _ => {}
    }
}

fn punct_token(stack: &mut Vec<Frame>, b: u8) {
    let top = stack.len() - 1;
    match &mut stack[top] {
        Frame::Top {
            state,
            action_type,
            header,
            last_word,
            ..
        } => match b {
            b':' => {
                *state = Top::Colon;
                *header = false;
            }
            b'{' => {
                if last_word.eq_ignore_ascii_case("studio") && *state != Top::TypeName {
                    stack.push(Frame::Studio);
                } else {
                    let action_type = action_type.clone();
                    stack.push(Frame::Body {
                        action_type,
                        state: Body::Name,
                        written: Vec::new(),
                        current: String::new(),
                    });
                }
            }
            _ => *state = Top::Other,
        },
        Frame::Body {
            state,
            written,
            current,
            ..
        } => match (b, *state) {
            // `studio { ... }` (or a stray brace): skipped as raw values.
            (b'{', _) => stack.push(Frame::Studio),
            (b'}', _) => {
                stack.pop();
                if let Some(Frame::Top { state, .. }) = stack.last_mut() {
                    *state = Top::Other;
                }
            }
            // `id:` in a body that was never closed: the next action.
            (b':', Body::AfterName) => {
                stack.pop();
                if let Some(Frame::Top { state, header, .. }) = stack.last_mut() {
                    *state = Top::Colon;
                    *header = false;
                }
            }
            (b'=', Body::AfterName) => {
                written.push(current.clone());
                *state = Body::Value(Expr::Operand);
            }
            (b'(' | b'[', Body::Value(_)) => {
                *state = Body::Value(Expr::AfterOperand);
                stack.push(Frame::Group {
                    close: if b == b'(' { b')' } else { b']' },
                    state: Expr::Operand,
                });
            }
            (b'.', Body::Value(Expr::AfterOperand)) => *state = Body::Value(Expr::Member),
            (b')' | b']', Body::Value(_)) => *state = Body::Value(Expr::AfterOperand),
            (_, Body::Value(_)) => *state = Body::Value(Expr::Operand),
            // `Case -1 -> x`: the sign of a label.
            (b'-', Body::AfterName) => {}
            _ => {}
        },
        Frame::Studio => match b {
            b'}' => {
                stack.pop();
                if let Some(Frame::Body { state, .. }) = stack.last_mut() {
                    *state = Body::Name;
                }
            }
            b'{' => stack.push(Frame::Studio),
            _ => {}
        },
        Frame::Group { close, state } => {
            if b == *close {
                stack.pop();
                after_operand(stack);
            } else if b == b'(' || b == b'[' {
                *state = Expr::AfterOperand;
                stack.push(Frame::Group {
                    close: if b == b'(' { b')' } else { b']' },
                    state: Expr::Operand,
                });
            } else if b == b'.' && *state == Expr::AfterOperand {
                *state = Expr::Member;
            } else if b == b')' || b == b']' || b == b'}' {
                // A closing byte of another kind: leave the group.
                stack.pop();
                punct_token(stack, b);
            } else {
                *state = Expr::Operand;
            }
        }
        Frame::Interp { state } => {
            if b == b'}' {
                stack.pop();
            } else if b == b'(' || b == b'[' {
                *state = Expr::AfterOperand;
                stack.push(Frame::Group {
                    close: if b == b'(' { b')' } else { b']' },
                    state: Expr::Operand,
                });
            } else if b == b'.' && *state == Expr::AfterOperand {
                *state = Expr::Member;
            } else {
                *state = Expr::Operand;
            }
        }
        _ => {}
    }
}

/// The context when the scan reached the cursor's word.
fn at_end(stack: &[Frame], text: &str, end: usize) -> Context {
    let enclosing_type = || {
        stack.iter().rev().find_map(|f| match f {
            Frame::Body { action_type, .. } => Some(action_type.clone()),
            _ => None,
        })
    };
    match stack.last() {
        Some(Frame::Top { state, .. }) => match state {
            Top::Colon => Context::ActionType { line_start: false },
            Top::TypeKeyword => Context::ScriptType,
            _ if at_line_start(text, end) => Context::ActionType { line_start: true },
            _ => Context::Nothing,
        },
        Some(Frame::Body {
            action_type,
            state,
            written,
            current,
            ..
        }) => match state {
            Body::Name | Body::Value(Expr::AfterOperand) => Context::Entry {
                action_type: action_type.clone(),
                written: written.clone(),
            },
            Body::Target => Context::Target,
            Body::Value(Expr::Operand) => Context::Value {
                action_type: Some(action_type.clone()),
                property: Some(current.clone()),
                snippet: false,
            },
            Body::Value(Expr::Member) => Context::Method { snippet: false },
            Body::AfterName | Body::Label => Context::Nothing,
        },
        Some(Frame::Group { state, .. } | Frame::Interp { state }) => match state {
            Expr::Member => Context::Method { snippet: false },
            _ => Context::Value {
                action_type: enclosing_type(),
                property: None,
                snippet: false,
            },
        },
        _ => Context::Nothing,
    }
}

/// Only blanks between the line's start and `end`.
fn at_line_start(text: &str, end: usize) -> bool {
    let bytes = text.as_bytes();
    let mut j = end.min(bytes.len());
    while j > 0 && (bytes[j - 1] == b' ' || bytes[j - 1] == b'\t') {
        j -= 1;
    }
    j == 0 || bytes[j - 1] == b'\n' || bytes[j - 1] == b'\r'
}

/// One step inside a string (script or Snippet: the same escapes and
/// templates) at byte `i`: the next byte to read, and whether the string
/// closed (its frame popped; the caller says what follows a string).
fn string_step(
    bytes: &[u8],
    i: usize,
    stack: &mut Vec<Frame>,
    quote: u8,
    template: bool,
) -> (usize, bool) {
    match bytes[i] {
        b'\\' => (i + 2, false),
        b if b == quote => {
            stack.pop();
            (i + 1, true)
        }
        b'{' if template && bytes.get(i + 1) == Some(&b'{') => (i + 2, false),
        b'{' if template => {
            stack.push(Frame::Interp {
                state: Expr::Operand,
            });
            (i + 1, false)
        }
        _ => (i + 1, false),
    }
}

/// The context inside a `"""` block whose code starts at `start`.
fn snippet_context(text: &str, start: usize, end: usize) -> Context {
    let bytes = &text.as_bytes()[..end.min(text.len())];
    let mut stack = vec![Frame::Statements { dot: false }];
    let mut i = start;
    while i < bytes.len() {
        if let Some(Frame::Str { quote, template }) = stack.last() {
            let (quote, template) = (*quote, *template);
            let (next, closed) = string_step(bytes, i, &mut stack, quote, template);
            if closed {
                set_dot(&mut stack, false);
            }
            i = next;
            continue;
        }
        let b = bytes[i];
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            let j = skip_comment(bytes, i);
            if j >= bytes.len() {
                return Context::Nothing;
            }
            i = j;
            continue;
        }
        if b == b'"' || b == b'\'' || (b == b'$' || b == b'#') && bytes.get(i + 1) == Some(&b'"') {
            let quote = if b == b'\'' { b'\'' } else { b'"' };
            stack.push(Frame::Str {
                quote,
                template: b != b'#',
            });
            i += if b == b'$' || b == b'#' { 2 } else { 1 };
            continue;
        }
        if is_word_byte(b) {
            while i < bytes.len() && is_word_byte(bytes[i]) {
                i += 1;
            }
            set_dot(&mut stack, false);
            continue;
        }
        if b.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        match b {
            b'.' => set_dot(&mut stack, true),
            b'(' | b'[' => stack.push(Frame::Group {
                close: if b == b'(' { b')' } else { b']' },
                state: Expr::Operand,
            }),
            b')' | b']' | b'}' => {
                match stack.last() {
                    Some(Frame::Group { .. } | Frame::Interp { .. }) if stack.len() > 1 => {
                        stack.pop();
                    }
                    _ => {}
                }
                set_dot(&mut stack, false);
            }
            _ => set_dot(&mut stack, false),
        }
        i += 1;
    }
    match stack.last() {
        Some(Frame::Statements { dot: true })
        | Some(Frame::Group {
            state: Expr::Member,
            ..
        })
        | Some(Frame::Interp {
            state: Expr::Member,
        }) => Context::Method { snippet: true },
        Some(Frame::Statements { dot: false }) => Context::Snippet,
        Some(Frame::Group { .. } | Frame::Interp { .. }) => Context::Value {
            action_type: None,
            property: None,
            snippet: true,
        },
        _ => Context::Nothing,
    }
}

fn set_dot(stack: &mut [Frame], dot: bool) {
    match stack.last_mut() {
        Some(Frame::Statements { dot: d }) => *d = dot,
        Some(Frame::Group { state, .. } | Frame::Interp { state }) => {
            *state = if dot {
                Expr::Member
            } else {
                Expr::AfterOperand
            }
        }
        _ => {}
    }
}
