//! Helpers shared by the crate's unit tests.

/// Every `.script` file under `dir`, recursively (examples, golden cases,
/// malformed ones): the corpus that equivalence tests run on.
pub(crate) fn script_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            script_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "script") {
            out.push(path);
        }
    }
}
