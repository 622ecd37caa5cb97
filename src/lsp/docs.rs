//! What completion and hover say about the built-ins: one line per action
//! type and per function (from docs/language.md, docs/snippet.md and
//! docs/contacts.md), the Snippet keywords, and the schemas written out
//! as Markdown. Host and manifest actions and functions have no line here:
//! they are shown with their schema or signature alone.

use crate::{ActionSchema, PropertyKind, PropertySchema};

/// One line about a built-in action type (any case).
pub fn action(name: &str) -> Option<&'static str> {
    const ACTIONS: &[(&str, &str)] = &[
        ("Begin", "Where the script starts (exactly one per script); in a subscript, `Parameters` names p1, p2, ..."),
        ("End", "Ends the script (terminal: no branches); in the script that was run it also releases the contact."),
        ("Assign", "Stores the value of `Value` (a template) in the variable named by `Variable`."),
        ("If", "Evaluates `Expression` and takes `True` or `False`."),
        ("Case", "Compares `Value` with each `Case <literal>` label (with `=`) and takes the first that matches, else Default."),
        ("Loop", "Takes `Repeat` for executions 1..Repeat, then `Finished` (and resets its count); `CounterName` mirrors the count."),
        ("Snippet", "Runs Snippet code written as a `\"\"\"` block in `Data`; a failing statement sets `_ERR` and takes Error."),
        ("RunSub", "Runs another script (`ScriptName`) with `Parameters` as p1..p9 and stores what its Return returns in `ReturnVariable`."),
        ("Return", "Ends a subscript, returning `ReturnValue` to the calling RunSub (terminal)."),
        ("SetSecurityUser", "Makes an agent (id or userName) the security user the API actions run as, in `ScriptVariable`."),
        ("ListRoles", "API action: lists the tenant's roles (`Query`, `Sort`, `StartIndex`, `ResultsPerPage`) into `Roles`."),
        ("GetRole", "API action: reads one role (by id or name) into `Role`."),
        ("GetAvailableFeatures", "API action: lists the features roles can grant into `Features`."),
        ("CreateRole", "API action: creates a role (`Name`, `Description`, `Features`) and stores it in `Role`."),
        ("UpdateRole", "API action: changes a role (`ChangeStamp` required); a property left out keeps its current value."),
        ("DeleteRole", "API action: deletes a role and stores it as it was in `DeletedRole`."),
        ("GetAgent", "API action: reads one agent (id or userName) into `Agent`."),
        ("ListAgents", "API action: lists agents (`Query`, `Status`: active, inactive or all) into `Agents`."),
        ("Play", "Plays a prompt (`Sequence`, a template) to the caller; `Digit` when a key interrupts it (DetectDTMF)."),
        ("Menu", "Plays a prompt and waits for the caller's keys: a `Case \"<keys>\"` branch per choice, `Timeout` when silent."),
        ("Capture", "Waits for the caller's keys and stores them in `Variable` (default CRES); branches say how the entry ended."),
        ("ReqAgent", "Queues the contact for an agent of `Skill` (or `TargetAgent`); the routing properties are read, not simulated."),
        ("Music", "Plays hold music (`MusicFile`) for virtual time; `OnComplete` when it has played."),
        ("Wait", "Waits `Seconds` of virtual time (default 5, fractions allowed)."),
        ("Stop", "Idles until an event (an agent answering, the caller hanging up) (terminal)."),
        ("Hangup", "Hangs up and releases the contact (terminal)."),
        ("OnAnswer", "Event action: where the run goes when an agent answers; sets SKLNAME, FIRST, LAST and AGENTID."),
        ("OnRelease", "Event action: where the run goes when the contact is released (once per run); sets `CauseCode`."),
        ("RestApi", "Makes an HTTP request (`ServiceAddress`, `Verb`, `Headers`, `Parameters`) and waits for the reply into `ResultSet`."),
    ];
    ACTIONS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, d)| *d)
}

/// A built-in function's parameters (as written in its signature) and one
/// line about it (any case).
pub fn function(name: &str) -> Option<(&'static str, &'static str)> {
    const FUNCTIONS: &[(&str, &str, &str)] = &[
        ("len", "value", "Length in characters (text), items (list) or members (object)."),
        ("size", "array", "Element count of a list or a pipe-delimited string (also `array.size`)."),
        ("index", "array, i", "Element `i` (1-based) of an array, as `array[i]`."),
        ("upper", "text", "The text in upper case."),
        ("lower", "text", "The text in lower case."),
        ("trim", "text", "The text without leading and trailing blanks."),
        ("ltrim", "text", "The text without leading blanks."),
        ("rtrim", "text", "The text without trailing blanks."),
        ("contains", "text, part", "True when the text contains the part (or a list holds the value, compared with `=`)."),
        ("startswith", "text, prefix", "True when the text starts with the prefix."),
        ("beginswith", "text, prefix", "True when the text starts with the prefix (Studio's spelling)."),
        ("endswith", "text, suffix", "True when the text ends with the suffix."),
        ("replace", "text, from, to", "The text with every occurrence of `from` replaced by `to`."),
        ("substr", "text, start, length?", "Part of the text, in characters; the first character is 1."),
        ("left", "text, n", "The first `n` characters of the text."),
        ("right", "text, n", "The last `n` characters of the text."),
        ("char", "code", "The character with this code (`char(9)` is a tab)."),
        ("indexof", "text, part", "1-based position of the part in the text (or of the value in a list); 0 when absent."),
        ("tostring", "value", "The text of any value."),
        ("tonumber", "text", "The text as a number; an error when it is not numeric."),
        ("isnull", "value", "True for null and `\"\"`."),
        ("isnumeric", "value", "True for numbers and numeric strings."),
        ("now", "", "The clock's time, RFC 3339, in the security user's time zone (else the business unit's)."),
        ("asjson", "value", "The value as JSON text."),
        ("parsejson", "text", "JSON text as a value (objects become dynamic data objects)."),
        ("GetRESTProxy", "", "A new REST proxy (Snippet code): `MakeRestRequest`, `AddHeader`, `StatusCode`, ..."),
        ("asdatetime", "value", "A datetime from a datetime, date text or an OLE number."),
        ("asdate", "datetime", "The date as `MM/dd/yyyy`."),
        ("astime", "datetime", "The time as `HH:mm:ss`."),
        ("asisodatetime", "datetime", "The datetime as `yyyy-MM-ddTHH:mm:ss.SSS±hh:mm` in the run's zone."),
        ("asutc", "datetime", "The wall-clock time in the run's zone as UTC."),
        ("asgmt", "datetime", "The wall-clock time in the run's zone as UTC (as `asutc`)."),
        ("datefmt", "datetime, format", "The datetime formatted with .NET format specifiers (`yyyy MM dd HH mm ss tt` ...)."),
        ("dateadd", "unit, datetime, n", "The datetime plus `n` units (year, month, week, day, hour, minute, second)."),
        ("datediff", "unit, from, to", "How many units from one datetime to the other (calendar boundaries for year, month, day)."),
        ("datepart", "datetime, unit", "One part (year, month, day, hour, ...) of the datetime."),
        ("dow", "datetime", "The day of the week, 0 is Sunday."),
        ("datebuild", "year, month, day", "A datetime from its parts; an impossible date is an error."),
        ("datetimebuild", "year, month, day, hour, minute, second", "A datetime from its parts; an impossible date is an error."),
    ];
    FUNCTIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p, d)| (*p, *d))
}

/// A function's signature: its parameters when known (`upper(text)`), else
/// its argument counts (`f(2..3 args)`).
pub fn signature(name: &str, min: usize, max: usize) -> String {
    match function(name) {
        Some((params, _)) => format!("{name}({params})"),
        None if min == max && max == 0 => format!("{name}()"),
        None if min == max => format!("{name}({min} arg{})", if min == 1 { "" } else { "s" }),
        None if max == usize::MAX => format!("{name}({min}.. args)"),
        None => format!("{name}({min}..{max} args)"),
    }
}

/// A function as hover and completion document it.
pub fn function_markdown(name: &str, min: usize, max: usize) -> String {
    let mut out = format!("```\n{}\n```", signature(name, min, max));
    match function(name) {
        Some((_, description)) => {
            out.push_str("\n\n");
            out.push_str(description);
        }
        None => out.push_str("\n\nA function of the engine (its host or manifest)."),
    }
    out
}

/// The Snippet statements' keywords: the keyword, what completion inserts
/// (a snippet), one line about it. WHILE and USES parse only to be refused
/// (docs/language.md): they are not offered.
pub const SNIPPET_KEYWORDS: &[(&str, &str, &str)] = &[
    (
        "ASSIGN",
        "ASSIGN ${1:name} = $0",
        "Assigns a variable (the keyword is optional).",
    ),
    (
        "IF",
        "IF ${1:condition} {\n\t$0\n}",
        "Runs the block when the condition is true.",
    ),
    (
        "ELSE",
        "ELSE {\n\t$0\n}",
        "The block an IF runs when its condition is false (no ELSE IF: nest an IF).",
    ),
    (
        "SWITCH",
        "SWITCH ${1:value} {\n\tCASE ${2:label} {\n\t\t$0\n\t}\n}",
        "Runs the CASE block whose label equals the value, else DEFAULT.",
    ),
    (
        "SELECT",
        "SELECT {\n\tCASE ${1:condition} {\n\t\t$0\n\t}\n}",
        "Runs the first CASE block whose condition is true, else DEFAULT.",
    ),
    (
        "CASE",
        "CASE ${1:label} {\n\t$0\n}",
        "One choice of a SWITCH or SELECT (labels may stack).",
    ),
    (
        "DEFAULT",
        "DEFAULT {\n\t$0\n}",
        "The block a SWITCH or SELECT runs when no CASE matches.",
    ),
    (
        "FOR",
        "FOR ${1:i} = ${2:1} TO ${3:10} {\n\t$0\n}",
        "Counts a variable from one number to another (the body runs at least once).",
    ),
    ("TO", "TO ", "The end of a FOR loop's count."),
    (
        "FOREACH",
        "FOREACH ${1:item} IN ${2:array} {\n\t$0\n}",
        "Runs the block for each element of an array.",
    ),
    ("IN", "IN ", "The array a FOREACH walks."),
    (
        "REPEAT",
        "REPEAT ${1:n} {\n\t$0\n}",
        "Runs the block n times.",
    ),
    ("BREAK", "BREAK", "Leaves the innermost loop."),
    (
        "DYNAMIC",
        "DYNAMIC ${1:name}",
        "Declares a dynamic data object (members are created on assignment).",
    ),
    (
        "FUNCTION",
        "FUNCTION ${1:name}(${2}) {\n\t$0\n}",
        "Declares a function, visible to every snippet of the script.",
    ),
    (
        "RETURN",
        "RETURN $0",
        "Returns from a FUNCTION, with a value or without.",
    ),
    ("TRACE", "TRACE $0", "Records text in the run's trace."),
];

/// One line about a Snippet keyword (any case).
pub fn snippet_keyword(word: &str) -> Option<&'static str> {
    SNIPPET_KEYWORDS
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, _, d)| *d)
}

/// What a property kind means, in a few words.
pub fn kind(kind: PropertyKind) -> (&'static str, &'static str) {
    match kind {
        PropertyKind::Name => (
            "Name",
            "a bare identifier or a plain string, taken literally",
        ),
        PropertyKind::Template => (
            "Template",
            "evaluated; a string literal is a template (`\"Hi {Name}\"`)",
        ),
        PropertyKind::Expression => ("Expression", "evaluated as written"),
        PropertyKind::OutputVariable => ("output variable", "names a variable the action writes"),
        PropertyKind::InputVariable => ("input variable", "names a variable the action reads"),
        PropertyKind::SnippetCode => (
            "Snippet code",
            "a `\"\"\"` block of Snippet code, compiled with the script",
        ),
        PropertyKind::Subscript => (
            "script name",
            "names the script to run (read when this one compiles)",
        ),
    }
}

/// A property's detail line: `Template, required`.
pub fn property_detail(p: &PropertySchema) -> String {
    let (kind, _) = kind(p.kind);
    if p.required {
        format!("{kind}, required")
    } else {
        format!("{kind}, optional")
    }
}

/// A property as hover and completion document it.
pub fn property_markdown(schema: &ActionSchema, p: &PropertySchema) -> String {
    let (kind_name, meaning) = kind(p.kind);
    let mut out = format!(
        "**{}**: property of `{}`\n\n- kind: {kind_name} ({meaning})\n- {}",
        p.name,
        schema.name,
        if p.required { "required" } else { "optional" }
    );
    if let Some(default) = &p.default {
        out.push_str(&format!("\n- default: `{}`", default.to_text()));
    }
    if let Some(choices) = &p.choices {
        let words: Vec<String> = choices.words.iter().map(|w| format!("`{w}`")).collect();
        out.push_str(&format!(
            "\n- {}: {}",
            if choices.only { "one of" } else { "words" },
            words.join(", ")
        ));
    }
    out
}

/// The branches an action of this schema may have, canonical spelling
/// (Default and Error unless terminal, its own, its labelled one).
pub fn branches(schema: &ActionSchema) -> Vec<String> {
    if schema.terminal {
        return Vec::new();
    }
    let mut out = vec!["Default".to_string(), "Error".to_string()];
    out.extend(schema.branches.iter().cloned());
    if let Some(label) = &schema.labeled_branch {
        out.push(format!("{label} \"label\""));
    }
    out
}

/// An action type as hover and completion document it.
pub fn action_markdown(schema: &ActionSchema) -> String {
    let mut out = format!("**{}** (action)", schema.name);
    if let Some(description) = action(&schema.name) {
        out.push_str("\n\n");
        out.push_str(description);
    }
    if schema.properties.is_empty() {
        out.push_str("\n\nProperties: none");
    } else {
        out.push_str("\n\nProperties:");
        for p in &schema.properties {
            out.push_str(&format!("\n- `{}`: {}", p.name, property_detail(p)));
        }
    }
    let branches = branches(schema);
    if branches.is_empty() {
        out.push_str("\n\nBranches: none (terminal)");
    } else {
        let listed: Vec<String> = branches.iter().map(|b| format!("`{b}`")).collect();
        out.push_str(&format!("\n\nBranches: {}", listed.join(", ")));
    }
    if schema.entry {
        out.push_str("\n\nThe script's entry point.");
    }
    if schema.script_types != crate::ScriptTypes::ALL {
        let types: Vec<&str> = schema.script_types.iter().map(|t| t.name()).collect();
        out.push_str(&format!("\n\nScript types: {}", types.join(", ")));
    }
    out
}

/// One line about a branch of an action of this schema (`None`: no such branch).
pub fn branch_markdown(schema: Option<&ActionSchema>, name: &str) -> Option<String> {
    let owner = schema.map_or("this action".to_string(), |s| format!("`{}`", s.name));
    if name.eq_ignore_ascii_case("Default") {
        return Some(format!(
            "**Default** (branch of {owner})\n\nTaken unless the action's outcome names another branch, and also when the branch for that outcome is not connected."
        ));
    }
    if name.eq_ignore_ascii_case("Error") {
        return Some(format!(
            "**Error** (branch of {owner})\n\nTaken when the action fails (`_ERR` holds the reason); when it is not connected the script stops there."
        ));
    }
    let schema = schema?;
    if let Some(own) = schema
        .branches
        .iter()
        .find(|b| b.eq_ignore_ascii_case(name))
    {
        return Some(format!(
            "**{own}** (branch of {owner})\n\nOne of the action's own branches."
        ));
    }
    let label = schema.labeled_branch.as_deref()?;
    label.eq_ignore_ascii_case(name).then(|| {
        format!("**{label}** \"label\" (branch of {owner})\n\nA labelled branch: one per literal label, taken when the label matches (compared with `=`).")
    })
}
