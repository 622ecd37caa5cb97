//! The `studioflow` command line: a host like any other, using only the
//! library's public API.
//!
//! On Unix the program starts from its own C `main` (`no_main`) instead of
//! std's runtime start: that start asks glibc for the main thread's stack
//! bounds to install a stack-overflow reporter, and glibc answers by
//! parsing `/proc/self/maps` (≈ 115 k instructions, 5% of a short run's
//! process) for a thread that only waits for the worker. What else std's
//! start does and this program relies on is done here: SIGPIPE ignored (a
//! closed pipe is an error the output macros drop, not a kill) and closed
//! standard descriptors opened on /dev/null. What is given up: a stack
//! overflow (the engine bounds its own recursion, so one would be a bug)
//! ends the process with SIGSEGV instead of std's "has overflowed its
//! stack" message and SIGABRT.
// (The test harness brings its own `main`: tests keep std's start.)
#![cfg_attr(all(unix, not(test)), no_main)]

mod cli;

/// Stack of the thread the command runs on. Compiling and running size
/// their own stacks where they need more; this only has to hold the CLI.
const CLI_STACK_BYTES: usize = 16 << 20;

/// Exit code of a command that panicked (std's own, for a panicking `main`).
const EXIT_PANIC: i32 = 101;

#[cfg(all(unix, not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    // SAFETY: called once, before any other thread exists; `signal`,
    // `fcntl` and `open` have no memory-safety preconditions here.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        for fd in 0..=2 {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                // The lowest free descriptor: `fd` itself.
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            }
        }
    }
    run()
}

#[cfg(any(not(unix), test))]
fn main() {
    run()
}

fn run() -> ! {
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
            Err(_) => EXIT_PANIC,
        },
        // No thread (a process limit): run on this one instead.
        Err(_) => std::panic::catch_unwind(cli::main).unwrap_or(EXIT_PANIC),
    };
    // Flushes stdout, as returning from std's `main` would.
    std::process::exit(code)
}
