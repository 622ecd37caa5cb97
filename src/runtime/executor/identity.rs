//! A script's identity in a paused run: its name and the SHA-256 of its
//! text, for every script of the call graph.

use sha2::{Digest, Sha256};

use crate::compile::ScriptInner;
use crate::runtime::pause::{hex, PausedScript};

/// Every unit of the call graph with the SHA-256 of its text.
pub(crate) fn identities(root: &ScriptInner) -> Vec<PausedScript> {
    (0..=root.subscripts.len() as u32)
        .map(|i| {
            let unit = root.unit(i);
            PausedScript {
                name: unit.name.clone(),
                sha256: hex(&source_sha256(unit)),
            }
        })
        .collect()
}

/// A script's identity: the SHA-256 of its text (a changed comment is a
/// changed script), computed once per compiled script.
pub(crate) fn source_sha256(unit: &ScriptInner) -> [u8; 32] {
    *unit.source_sha256.get_or_init(|| {
        let text = unit.warnings.source().text();
        Sha256::digest(text.as_bytes()).into()
    })
}
