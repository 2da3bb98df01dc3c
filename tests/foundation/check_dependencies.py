#!/usr/bin/env python3
"""Checks every `#include "DIR/..."` in src/ against docs/dependencies.txt.

Usage: check_dependencies.py SOURCE_DIR
Prints each include that the table does not allow (file:line: what, and the line to add or the
code to move) and exits 1 when there is any; also flags table lines naming a missing module.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/([^"]+)"')


def load_table(path):
    allowed = {}  # FROM (module or module/file) -> set of TO (module or module/header)
    tests = {}  # module -> set of TO for its tests
    for n, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" not in line:
            sys.exit(f"{path}:{n}: want `FROM: TO ...`, got {raw.strip()!r}")
        head, rest = line.split(":", 1)
        head = head.strip()
        targets = set(rest.split())
        if head.endswith(" tests"):
            tests[head[: -len(" tests")].strip()] = targets
        else:
            allowed[head] = targets
    return allowed, tests


def is_test(name):
    return name.endswith(("_test.cc", "_fuzzer.cc")) or name.startswith("test_")


def main():
    src_root = sys.argv[1] if len(sys.argv) > 1 else "."
    src = os.path.join(src_root, "src")
    table = os.path.join(src_root, "docs", "dependencies.txt")
    allowed, tests = load_table(table)
    modules = {d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d))}
    problems = []
    for key in list(allowed) + list(tests):
        if key.split("/")[0] not in modules:
            problems.append(f"{table}: names {key!r}, which is not a folder of src/")
    checked = 0
    for module in sorted(modules):
        for dirpath, _, files in os.walk(os.path.join(src, module)):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, src)
                ok = {module} | allowed.get(module, set()) | allowed.get(rel, set())
                if is_test(name):
                    ok |= tests.get(module, set())
                if module not in allowed:
                    problems.append(f"src/{rel}: module {module!r} has no line in {table}")
                    continue
                for n, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) not in modules:
                        continue  # a system or generated header (version.h, *.pb.h)
                    checked += 1
                    dep, header = m.group(1), f"{m.group(1)}/{m.group(2)}"
                    if dep in ok or header in ok:
                        continue
                    problems.append(
                        f"src/{rel}:{n}: includes {header!r}, but {module!r} may not depend on {dep!r} "
                        f"(add `{dep}` or `{header}` to the `{module}:` line of docs/dependencies.txt "
                        f"and link it in CMake, or move the code)")
    for p in problems:
        print(p)
    print(f"{checked} includes checked, {len(problems)} not allowed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
