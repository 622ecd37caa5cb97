//! Fuzz target: any input is loaded as a tenant file. Loading either fails
//! with an error that names a place (or a line and column), or gives a tenant
//! that saves and loads back to the same document. Nothing may panic or hang.
//!
//! `cargo +nightly fuzz run tenant_file -- -max_total_time=60`
#![no_main]

use libfuzzer_sys::fuzz_target;
use studioflow::permissions::Directory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Directory::from_json_str(text) {
        Ok(directory) => {
            let saved = directory.to_tenant_json();
            let again = Directory::from_json_str(&saved.to_string())
                .expect("a saved tenant loads again");
            assert_eq!(again.to_tenant_json(), saved);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(error.place().is_some() || message.starts_with("line "), "{message}");
        }
    }
});
