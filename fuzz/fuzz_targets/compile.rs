//! Fuzz target: any input is compiled; a failed compile must carry an error
//! whose spans lie inside the input, and a compiled script is run with a small
//! step budget and small size limits. Nothing may panic, overflow the stack
//! or hang.
//!
//! `cargo +nightly fuzz run compile -- -max_total_time=60 -dict=fuzz/compile.dict`
//! (`fuzz/compile.dict`: date functions, extreme dates and other tokens a
//! random mutation rarely spells).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use studioflow::{Engine, Limits, RunOptions};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::builder()
            .limits(Limits {
                max_steps: 200,
                max_string_bytes: 64 * 1024,
                max_list_len: 1_000,
                ..Limits::default()
            })
            .build()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match engine().compile(source, "fuzz.script") {
        Err(diagnostics) => {
            assert!(
                diagnostics.has_errors(),
                "a failed compile without an error"
            );
            for d in diagnostics.items() {
                assert!(d.span.start <= d.span.end && d.span.end <= source.len());
                assert!(source.is_char_boundary(d.span.start));
                assert!(source.is_char_boundary(d.span.end));
            }
            let _ = diagnostics.to_string();
        }
        Ok(script) => {
            let run = engine().run(
                &script,
                RunOptions {
                    max_steps: Some(200),
                    ..RunOptions::default()
                },
            );
            let _ = run.to_json().to_string();
        }
    }
});
