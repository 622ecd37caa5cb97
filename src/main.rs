//! The `studioflow` command line: a host like any other, using only the
//! library's public API.

mod cli;

/// Stack of the thread the command runs on. Compiling and running size
/// their own stacks where they need more; this only has to hold the CLI.
const CLI_STACK_BYTES: usize = 16 << 20;

fn main() {
    // The command runs on a spawned thread rather than the main one: the
    // engine asks how much stack is left before a run, and on the main
    // thread glibc answers that by parsing /proc/self/maps (about a tenth of
    // a short run's instructions); for a spawned thread the answer is stored.
    let worker = std::thread::Builder::new()
        .name("studioflow".into())
        .stack_size(CLI_STACK_BYTES)
        .spawn(cli::main);
    let code = match worker {
        Ok(handle) => match handle.join() {
            Ok(code) => code,
            // The panic message has already been printed by the hook.
            Err(payload) => std::panic::resume_unwind(payload),
        },
        // No thread (a process limit): run on this one instead.
        Err(_) => cli::main(),
    };
    std::process::exit(code);
}
