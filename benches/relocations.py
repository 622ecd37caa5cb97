#!/usr/bin/env python3
"""Where a binary's dynamic relocations come from, by crate and by symbol.

Usage:
    python3 benches/relocations.py BINARY [LINKER_MAP] [--top N]

Every relocation the dynamic loader applies at start (`readelf -r`) is
placed in the input section it patches, using the linker's map file
(`-Wl,-Map=FILE`, see docs/benchmarks.md, "Issue 23, item 3"): the map
names the object file each input section came from, and Rust's object files
carry their crate's name (`libchrono_tz-<hash>.rlib(...)`). Without a map,
the crate is read from the symbol the relocation lands in (`nm -C`), and
from the symbol it points to when the place has no symbol of its own.

Generic code and the vtables of generic types are emitted by the crate that
instantiates them, so they count for that crate (often the binary's own).

Prints: the relocation types with counts; the top crates; the top symbols
(the static a pointer is stored in, e.g. a table of `&'static str`).
"""

import bisect
import signal
import collections
import re
import subprocess
import sys


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def relocations(binary):
    """(offset, type, addend) of every dynamic relocation."""
    out = []
    for line in run("readelf", "-W", "-r", binary).splitlines():
        parts = line.split()
        if len(parts) < 3 or not parts[2].startswith("R_"):
            continue
        try:
            offset = int(parts[0], 16)
        except ValueError:
            continue
        addend = 0
        if parts[2].endswith("RELATIVE") and len(parts) >= 4:
            addend = int(parts[3], 16)
        out.append((offset, parts[2], addend))
    return out


def sections(binary):
    """(start, end, name) of the output sections that occupy memory."""
    out = []
    pat = re.compile(r"\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)")
    for line in run("readelf", "-W", "-S", binary).splitlines():
        m = pat.search(line)
        if m and int(m.group(2), 16):
            start = int(m.group(2), 16)
            out.append((start, start + int(m.group(3), 16), m.group(1)))
    return sorted(out)


def symbols(binary):
    """Sorted (address, size, demangled name) of the defined symbols."""
    out = []
    for line in run("nm", "-C", "-S", "--defined-only", binary).splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4:
            out.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
        elif len(parts) == 3:
            out.append((int(parts[0], 16), 0, parts[2]))
    out.sort()
    return out


def crate_of_object(path):
    """The crate (or C library) an input file of the link belongs to."""
    if path.startswith("<"):
        return "(linker)"
    archive = path.split("(")[0]
    base = archive.rsplit("/", 1)[-1]
    m = re.match(r"lib(.+?)-[0-9a-f]{16}\.rlib$", base)
    if m:
        return m.group(1)
    m = re.match(r"(.+?)-[0-9a-f]{16}\..*\.o$", base)
    if m:
        return m.group(1)
    if "/gcc/" in archive or base.startswith(("crt", "Scrt", "libc", "libgcc")):
        return "(C runtime)"
    return base


def input_sections_lld(text):
    """(start, size, file, section) from an LLD map: `VMA LMA Size Align  file:(section)`."""
    out = []
    pat = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s{9}(\S.*?):\((.*)\)\s*$")
    output = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+ (\S+)\s*$")
    loaded = True
    for line in text.splitlines():
        o = output.match(line)
        if o:
            # Sections not loaded (debug info) restart at address 0.
            loaded = int(o.group(1), 16) != 0
            continue
        m = pat.match(line)
        if loaded and m and int(m.group(2), 16):
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)))
    return out


def input_sections_bfd(text):
    """(start, size, file) from a GNU ld map (a section name may sit on the line before)."""
    out = []
    pat = re.compile(r"^\s*(?:\S+\s+)?0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(/\S+|\S+\.o|\S+\.a\(.*\))\s*$")
    for line in text.splitlines():
        m = pat.match(line)
        if m and int(m.group(2), 16):
            out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), ""))
    return out


def demangle(names):
    """Demangled forms of mangled names (c++filt reads Rust's legacy mangling)."""
    names = sorted(set(names))
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), check=True,
                             capture_output=True, text=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {n: n for n in names}
    return dict(zip(names, out))


def section_symbol(section):
    """The symbol an input section is named after (`.data.rel.ro._ZN...E` -> `_ZN...E`)."""
    for prefix in (".data.rel.ro.", ".data.", ".rodata.", ".text."):
        if section.startswith(prefix):
            return section[len(prefix):]
    return section


def find(sorted_starts, items, address):
    """The item whose [start, start + size) holds address, if any."""
    i = bisect.bisect_right(sorted_starts, address) - 1
    if i >= 0:
        start, size = items[i][0], items[i][1]
        if start <= address < start + max(size, 1):
            return items[i]
    return None


def crate_of_symbol(name):
    """The crate a demangled Rust path names (`chrono_tz::timezones::X` -> chrono_tz)."""
    name = name.lstrip("<&*")
    for prefix in ("dyn ", "mut ", "const "):
        if name.startswith(prefix):
            name = name[len(prefix):]
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", name)
    return m.group(1) if m else None


def main():
    # `... | head` ends the output quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    top = 15
    if "--top" in sys.argv:
        top = int(sys.argv[sys.argv.index("--top") + 1])
        args = [a for a in args if a != str(top)]
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    relocs = relocations(binary)
    secs = sections(binary)
    sec_starts = [s[0] for s in secs]
    syms = symbols(binary)
    sym_starts = [s[0] for s in syms]
    inputs = []
    if len(args) > 1:
        text = open(args[1], encoding="utf-8", errors="replace").read()
        inputs = sorted(input_sections_lld(text)) or sorted(input_sections_bfd(text))
    in_starts = [s[0] for s in inputs]

    by_type = collections.Counter(t for _, t, _ in relocs)
    by_section = collections.Counter()
    by_crate = collections.Counter()
    by_symbol = collections.Counter()
    by_piece = collections.Counter()
    for offset, kind, addend in relocs:
        sec = find(sec_starts, [(a, b - a, n) for a, b, n in secs], offset)
        by_section[sec[2] if sec else "?"] += 1
        sym = find(sym_starts, syms, offset)
        sym_name = sym[2] if sym else None
        crate = None
        if inputs:
            piece = find(in_starts, inputs, offset)
            if piece:
                crate = crate_of_object(piece[2])
                by_piece[(crate, section_symbol(piece[3]))] += 1
        if crate is None and sym_name:
            crate = crate_of_symbol(sym_name)
        if crate is None and kind.endswith("RELATIVE"):
            target = find(sym_starts, syms, addend)
            if target:
                crate = crate_of_symbol(target[2])
                crate = f"{crate} (by target)" if crate else None
        by_crate[crate or "(unknown)"] += 1
        by_symbol[sym_name or f"(no symbol, in {sec[2] if sec else '?'})"] += 1

    total = len(relocs)
    print(f"{binary}: {total} dynamic relocations")
    print("\nby type:")
    for kind, n in by_type.most_common():
        print(f"  {n:8,}  {kind}")
    print("\nby output section:")
    for name, n in by_section.most_common(8):
        print(f"  {n:8,}  {name}")
    print(f"\nby crate ({'linker map' if inputs else 'symbol names'}):")
    for name, n in by_crate.most_common(top):
        print(f"  {n:8,}  {100 * n / total:5.1f}%  {name}")
    if by_piece:
        names = demangle(name for _, name in by_piece)
        print("\nby input section (the static, vtable or anonymous constant holding the pointers):")
        for (crate, name), n in by_piece.most_common(top):
            print(f"  {n:8,}  {crate}: {names.get(name, name)[:100]}")
    print("\nby symbol (the static or vtable holding the pointers):")
    for name, n in by_symbol.most_common(top):
        print(f"  {n:8,}  {name[:110]}")


if __name__ == "__main__":
    main()
