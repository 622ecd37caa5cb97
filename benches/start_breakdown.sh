#!/bin/sh
# Where the instructions of one `studioflow run scripts/greeting.script`
# process go (docs/benchmarks.md, "Issue 23, item 3: the start of a process").
#
# Usage (from the repository root, after `cargo build --release`):
#     sh benches/start_breakdown.sh [BINARY] [SCRIPT]
#
# Each part is its own callgrind run that counts only the instructions
# executed inside one function and everything it calls (--toggle-collect),
# so a part includes the allocations it makes. Inclusive counts of the
# whole-process profile are not used: the compile runs on a stack that
# stacker switches to, and callgrind's call tree attributes what follows
# the switch to the wrong caller. Deterministic for a given binary.
set -eu
bin=${1:-target/release/studioflow}
script=${2:-scripts/greeting.script}

count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" \
        "$bin" run "$script" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
}

total=$(count)
printf '%-58s %10s\n' "part" "instructions"
sum=0
part() {
    label=$1
    shift
    n=0
    for pattern in "$@"; do
        m=$(count --toggle-collect="$pattern")
        n=$((n + m))
    done
    sum=$((sum + n))
    printf '%-58s %10s\n' "$label" "$n"
}
part "dynamic loader: relocations (_dl_relocate_object)" '_dl_relocate_object'
loader=$(count --toggle-collect='_dl_start')
loader_rest=$((loader - $(count --toggle-collect='_dl_relocate_object')))
sum=$((sum + loader_rest))
printf '%-58s %10s\n' "dynamic loader: the rest of _dl_start" "$loader_rest"
part "library initialisers (_dl_init)" '_dl_init'
part "std's runtime start (lang_start, main thread)" '*lang_start_internal*'
part "command line (clap)" '*parse_one_command*' '*Parser::try_parse*'
part "built-in registries (EngineBuilder::new)" 'studioflow::engine::EngineBuilder::new'
part "manifest (find and load studioflow.toml, each time)" '*Manifest::find*'
part "demo tenant (Directory::demo)" '*Directory*::demo'
part "compile (parse, check, build)" '*compile_source*'
printf '%-58s %10s\n' "the rest (reading the script, the run, output, exit)" "$((total - sum))"
printf '%-58s %10s\n' "total" "$total"
