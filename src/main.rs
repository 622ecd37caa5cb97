//! The `studioflow` command line: a host like any other, using only the
//! library's public API.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
