#!/usr/bin/env bash
# Diagnostics differential (issue 23, item 2): every diagnostic of
# `studioflow check --json` must be the same before and after a change to
# the parser or the compile. Builds a corpus from every .script file in the
# repository and the fuzz seeds (each cut at many places, with tokens
# inserted and characters deleted), checks it with both binaries in batches
# and compares the JSON line by line.
#
# Usage (from the repository root):
#   benches/diagnostics_differential.sh [BASE_COMMIT]
#     BASE_COMMIT defaults to 23b4481 (the tree before issue 23, item 2). Its
#     CLI is built in its own directory ($WORK/base, own target directory).
#   BASE_BIN=/path/to/studioflow benches/diagnostics_differential.sh
#     uses an already built binary of the base tree instead.
#   NEW_BIN defaults to target/release/studioflow (built if missing).
#   WORK defaults to a new temporary directory (kept, printed at the end).
# Exit status 0 when every input gives the same output; the differing
# inputs are listed in $WORK/differences.txt.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_COMMIT=${1:-23b4481}
WORK=${WORK:-$(mktemp -d /tmp/sf-differential.XXXXXX)}
mkdir -p "$WORK"

if [[ -z "${BASE_BIN:-}" ]]; then
    if [[ ! -x "$WORK/base/target/release/studioflow" ]]; then
        rm -rf "$WORK/base" && mkdir -p "$WORK/base"
        git -C "$ROOT" archive "$BASE_COMMIT" | tar -x -C "$WORK/base"
        (cd "$WORK/base" && CARGO_TARGET_DIR="$WORK/base/target" nice cargo build --release --quiet)
    fi
    BASE_BIN="$WORK/base/target/release/studioflow"
fi
NEW_BIN=${NEW_BIN:-$ROOT/target/release/studioflow}
if [[ ! -x "$NEW_BIN" ]]; then
    (cd "$ROOT" && nice cargo build --release --quiet)
fi

CORPUS="$WORK/corpus"
rm -rf "$CORPUS" && mkdir -p "$CORPUS"
python3 - "$ROOT" "$CORPUS" <<'PY'
import os, subprocess, sys
root, out = sys.argv[1], sys.argv[2]
files = subprocess.run(["git", "-C", root, "ls-files", "*.script"],
                       capture_output=True, text=True, check=True).stdout.split()
seeds = os.path.join(root, "fuzz", "seeds", "compile")
sources = [os.path.join(root, f) for f in files]
sources += [os.path.join(seeds, f) for f in sorted(os.listdir(seeds))]
# Tokens a person might type in the wrong place.
tokens = ["{", "}", "(", ")", "[", "]", "\"", "'", "->", "=", ":", ",", ".",
          "+", "-", "*", "/", "\\", "%", "^", "<", ">", "<=", "!=", "&&",
          "||", "and", "or", "not", "{{", "}}", "\"\"\"", "#\"", "$\"",
          "x", "1", "1.5", "true", "null", "Case", "studio", "\n", "\n  a: End\n",
          "global:", "//", "f(", "a.b", "[1]"]
CUTS, INSERTS, DELETES = 60, 60, 40
n = 0
def emit(text):
    global n
    # Names stay short: the output names each file.
    with open(os.path.join(out, f"{n:06}.script"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    n += 1
for path in sources:
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    emit(text)
    L = len(text)
    if L == 0:
        continue
    places = lambda k: sorted({(i * L) // k for i in range(1, k)} | {L - 1})
    for p in places(CUTS):
        emit(text[:p])
    for i, p in enumerate(places(INSERTS)):
        emit(text[:p] + tokens[(i * 7 + len(path)) % len(tokens)] + text[p:])
    for p in places(DELETES):
        emit(text[:p] + text[p + 1:])
print(f"{n} inputs from {len(sources)} sources", file=sys.stderr)
PY

# Check in batches; the JSON is compared per batch, then per file when a
# batch differs.
: > "$WORK/differences.txt"
total=0
batches=0
same=0
ls "$CORPUS" | sort > "$WORK/inputs.txt"
split -l 400 "$WORK/inputs.txt" "$WORK/batch."
for batch in "$WORK"/batch.*; do
    mapfile -t names < "$batch"
    paths=("${names[@]/#/$CORPUS/}")
    total=$((total + ${#paths[@]}))
    batches=$((batches + 1))
    a=$(cd "$CORPUS" && "$BASE_BIN" check --json "${names[@]}" 2>&1; echo "exit $?")
    b=$(cd "$CORPUS" && "$NEW_BIN" check --json "${names[@]}" 2>&1; echo "exit $?")
    if [[ "$a" == "$b" ]]; then
        same=$((same + ${#paths[@]}))
        continue
    fi
    for name in "${names[@]}"; do
        x=$(cd "$CORPUS" && "$BASE_BIN" check --json "$name" 2>&1; echo "exit $?")
        y=$(cd "$CORPUS" && "$NEW_BIN" check --json "$name" 2>&1; echo "exit $?")
        if [[ "$x" == "$y" ]]; then
            same=$((same + 1))
        else
            echo "$CORPUS/$name" >> "$WORK/differences.txt"
        fi
    done
done
rm -f "$WORK"/batch.*
differ=$(wc -l < "$WORK/differences.txt")
echo "inputs: $total, identical: $same, different: $differ (work directory: $WORK)"
[[ "$differ" -eq 0 ]]
