//! One table per action type studioflow knows: Studio's keyword, the type
//! name in `.script`, the LibraryID (when known), the properties by position
//! and the branches with their indices. The facts come from
//! `studio-formats.md` §4 (positions and indices not confirmed there are
//! marked so in the comments) and the schemas in `src/builtins/`.

/// How a Studio property's value (always text in the file) is written in
/// `.script`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A string literal (a template: Studio's `{name}` substitutions stay).
    Text,
    /// A name (a variable, a script, a word): bare when an identifier, else a string.
    Name,
    /// A value: a number, `true`/`false`, `{expression}` as the
    /// expression; else a string.
    Value,
    /// What ASSIGN assigns: a number, `{expression}` as the expression,
    /// else a string (`True` stays the text it is).
    Assigned,
    /// An expression written as it is (If's Expression).
    Expression,
    /// Snippet code, written as a `"""` block.
    Code,
    /// A list of names joined with `, ` (BEGIN's Parameters).
    Names,
    /// A list of values, one per position from this one on (RUNSUB's
    /// parameters): written `[a, "b"]`.
    Spread,
}

/// One positional property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyDef {
    /// Studio's name for it.
    pub studio: &'static str,
    /// studioflow's name, or `None` when studioflow does not declare it
    /// (left out of the import for now).
    pub name: Option<&'static str>,
    /// How its value is written.
    pub kind: ValueKind,
}

/// One named branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchDef {
    /// Its name, as Studio and studioflow write it.
    pub name: &'static str,
    /// Its index in Studio's branch list.
    pub index: i64,
}

/// One action type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionDef {
    /// Studio's keyword (`MENU`).
    pub keyword: &'static str,
    /// studioflow's type name (`Menu`).
    pub name: &'static str,
    /// The LibraryID, when known.
    pub library_id: Option<&'static str>,
    /// The properties, in Studio's order (index = position).
    pub properties: &'static [PropertyDef],
    /// Whether the action has a Default exit.
    pub default: bool,
    /// The named branches.
    pub branches: &'static [BranchDef],
    /// Whether custom cases are allowed.
    pub cases: bool,
    /// An event action: a root of its own.
    pub event: bool,
}

impl ActionDef {
    /// The position of a [`ValueKind::Spread`] property, which takes every
    /// position from there on.
    pub fn spread(&self) -> Option<usize> {
        self.properties
            .iter()
            .position(|p| p.kind == ValueKind::Spread)
    }

    /// The named branch the file calls `name` (case-insensitive; Studio's
    /// `OnX` spelling of `X` and `OnError` are accepted), or the one at
    /// `index`.
    pub fn branch(&self, name: &str, index: Option<i64>) -> Option<&'static str> {
        let by_name = |n: &str| {
            self.branches
                .iter()
                .find(|b| b.name.eq_ignore_ascii_case(n))
                .map(|b| b.name)
        };
        if name.eq_ignore_ascii_case("Error") || name.eq_ignore_ascii_case("OnError") {
            return Some("Error");
        }
        by_name(name)
            .or_else(|| {
                name.get(..2)
                    .filter(|p| p.eq_ignore_ascii_case("on"))
                    .and_then(|_| by_name(&name[2..]))
            })
            .or_else(|| {
                if !name.is_empty() {
                    return None;
                }
                let index = index?;
                self.branches
                    .iter()
                    .find(|b| b.index == index)
                    .map(|b| b.name)
            })
    }

    /// The property at `position`, or the one named `name`
    /// (case-insensitive, Studio's or studioflow's name) when given.
    pub fn property(&self, position: usize, name: Option<&str>) -> Option<&'static PropertyDef> {
        if let Some(name) = name {
            let found = self.properties.iter().find(|p| {
                p.studio.eq_ignore_ascii_case(name)
                    || p.name.is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            if found.is_some() {
                return found;
            }
        }
        self.properties.get(position)
    }
}

const fn p(studio: &'static str, kind: ValueKind) -> PropertyDef {
    PropertyDef {
        studio,
        name: Some(studio),
        kind,
    }
}

const fn renamed(studio: &'static str, name: &'static str, kind: ValueKind) -> PropertyDef {
    PropertyDef {
        studio,
        name: Some(name),
        kind,
    }
}

/// A Studio property studioflow does not declare yet.
const fn dropped(studio: &'static str) -> PropertyDef {
    PropertyDef {
        studio,
        name: None,
        kind: ValueKind::Text,
    }
}

const fn b(name: &'static str, index: i64) -> BranchDef {
    BranchDef { name, index }
}

use ValueKind::{Assigned, Code, Expression, Name, Names, Spread, Text, Value};

const fn def(
    keyword: &'static str,
    name: &'static str,
    library_id: Option<&'static str>,
) -> ActionDef {
    ActionDef {
        keyword,
        name,
        library_id,
        properties: &[],
        default: true,
        branches: &[],
        cases: false,
        event: false,
    }
}

const MENU_PROPS: &[PropertyDef] = &[
    p("Sequence", Text),
    p("Phrase", Name),
    p("ClearDigits", Value),
    p("MaxDigits", Value),
    p("Terminator", Text),
    p("Timeout", Value),
    p("InterDigitTimeout", Value),
    p("Variable", Name),
];

/// Every action type studioflow imports.
pub const ACTIONS: &[ActionDef] = &[
    ActionDef {
        properties: &[
            dropped("RootFolder"),
            dropped("Application"),
            dropped("ParamCount"),
            p("Parameters", Names),
        ],
        ..def(
            "BEGIN",
            "Begin",
            Some("b2f794c5-0232-40e7-9830-76d573bf57d7"),
        )
    },
    ActionDef {
        default: false,
        ..def("END", "End", Some("93fb8888-30cf-4df3-8ed9-1f2986819080"))
    },
    ActionDef {
        properties: &[
            p("Variable", Name),
            p("Value", Assigned),
            dropped("Type"),
            dropped("Publish"),
            dropped("ScreenPop"),
            dropped("SaveToDB"),
            dropped("MaxStringSize"),
        ],
        ..def(
            "ASSIGN",
            "Assign",
            Some("9015c095-98d9-441f-bf92-e90f5c5ed8c8"),
        )
    },
    ActionDef {
        properties: &[p("Expression", Expression)],
        default: false,
        branches: &[b("True", 0), b("False", 1)],
        ..def("IF", "If", Some("6695ba9c-e1d6-4f3c-a15a-94f1400e3169"))
    },
    ActionDef {
        properties: &[renamed("Variable", "Value", Value)],
        cases: true,
        ..def("CASE", "Case", Some("22050500-6dc0-4949-af9c-1e52975f141d"))
    },
    ActionDef {
        properties: &[p("Repeat", Value), p("CounterName", Name)],
        default: false,
        branches: &[b("Finished", 0), b("Repeat", 1)],
        ..def("LOOP", "Loop", Some("a10f9f27-a5dd-48ba-ae37-e206fc6e101b"))
    },
    ActionDef {
        properties: &[p("Data", Code), p("MaxStringSize", Name)],
        ..def(
            "SNIPPET",
            "Snippet",
            Some("b333da63-33c8-4297-a58a-e9546cf7f0f2"),
        )
    },
    ActionDef {
        // Positions 1 and 2 are not confirmed (ura-flow writes
        // `[path, "", "RTN", params...]`); a file that names them wins.
        properties: &[
            p("ScriptName", Name),
            dropped("ReturnType"),
            p("ReturnVariable", Name),
            p("Parameters", Spread),
        ],
        ..def(
            "RUNSUB",
            "RunSub",
            Some("f8b958d0-8cd3-40df-97d3-5862930b0807"),
        )
    },
    ActionDef {
        properties: &[p("ReturnValue", Text)],
        default: false,
        ..def("RETURN", "Return", None)
    },
    ActionDef {
        properties: &[
            p("Sequence", Text),
            p("Phrase", Name),
            p("ClearDigits", Value),
            p("DetectDTMF", Value),
            p("SuppressSilence", Text),
            p("TTSVolume", Text),
            p("TTSRate", Text),
            p("TTSVoice", Text),
        ],
        branches: &[b("Digit", 0)],
        ..def("PLAY", "Play", Some("b1b9a2dd-65b6-4626-9cf5-9cfa69cf59e2"))
    },
    ActionDef {
        properties: MENU_PROPS,
        // Only Timeout = 2 is evidenced.
        branches: &[b("Timeout", 2)],
        cases: true,
        ..def("MENU", "Menu", Some("daee9c00-12ce-4222-a42e-307c37d53b7f"))
    },
    ActionDef {
        // Help's order; positions and indices not confirmed.
        properties: &[
            p("Variable", Name),
            p("MaxDigits", Value),
            p("Terminator", Text),
            p("Timeout", Value),
            p("InterDigitTimeout", Value),
        ],
        branches: &[
            b("Terminator", 0),
            b("MaxDigits", 1),
            b("Timeout", 2),
            b("InterDigitTimeout", 3),
        ],
        ..def("CAPTURE", "Capture", None)
    },
    ActionDef {
        properties: &[
            p("Skill", Text),
            p("TargetAgent", Text),
            p("PriorityManagement", Text),
            p("InitialPriority", Value),
            p("Acceleration", Value),
            p("Function", Text),
            p("MaxPriority", Value),
            p("Sequence", Text),
            p("ZipTone", Text),
            p("ScreenPopSource", Text),
            p("ScreenPopURL", Text),
            p("HighProficiency", Value),
            p("LowProficiency", Value),
            p("RoutingAttribute", Text),
        ],
        ..def(
            "REQAGENT",
            "ReqAgent",
            Some("689a4a1b-fa0d-47b3-9a02-cbeb4735f08f"),
        )
    },
    ActionDef {
        properties: &[
            p("MusicFile", Text),
            p("StartOffset", Value),
            p("SecondstoPlay", Value),
            p("reserved1073742978", Name),
            p("InterruptMessages", Text),
            p("RepeatIndex", Text),
            p("DetectDTMF", Value),
            p("ClearDigits", Value),
        ],
        branches: &[b("OnComplete", 0)],
        ..def(
            "MUSIC",
            "Music",
            Some("dbcc742b-28d8-42d1-9d95-0d9abf20b04b"),
        )
    },
    ActionDef {
        properties: &[p("Seconds", Value)],
        ..def("WAIT", "Wait", Some("5bf67b1c-9736-434d-9b6f-0d856aea8f16"))
    },
    ActionDef {
        default: false,
        ..def("STOP", "Stop", None)
    },
    ActionDef {
        default: false,
        ..def(
            "HANGUP",
            "Hangup",
            Some("b64a6796-4f66-4b1b-a9b5-3af926ab4b7c"),
        )
    },
    ActionDef {
        properties: &[
            p("SkillNameVar", Name),
            p("AgentFirstName", Name),
            p("AgentLastName", Name),
            p("AgentID", Name),
        ],
        event: true,
        ..def("ONANSWER", "OnAnswer", None)
    },
    ActionDef {
        properties: &[p("CauseCode", Name), dropped("CallResult")],
        event: true,
        ..def("ONRELEASE", "OnRelease", None)
    },
    ActionDef {
        // ura-flow's order; not confirmed by a real file.
        properties: &[
            p("Command", Text),
            renamed("URL", "ServiceAddress", Text),
            p("Headers", Value),
            p("Parameters", Value),
            p("Verb", Text),
            p("TimeOutInMilliSeconds", Value),
            p("ResultSet", Name),
            p("ErrorArgs", Name),
            p("ResponseHeaders", Name),
        ],
        ..def("REST_API", "RestApi", None)
    },
];

/// The action type a file's keyword names (case-insensitive).
pub fn by_keyword(keyword: &str) -> Option<&'static ActionDef> {
    ACTIONS
        .iter()
        .find(|a| a.keyword.eq_ignore_ascii_case(keyword.trim()))
}

/// The action type studioflow calls `name` (case-insensitive).
pub fn by_name(name: &str) -> Option<&'static ActionDef> {
    ACTIONS.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}
