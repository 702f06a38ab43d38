#!/usr/bin/env python3
"""Prints the code-shape counts of issue #26: Desk's public methods, files over 800 lines,
the longest functions, Tauri command lengths, fixed sleeps in tests, string fields in bindings.
Run from the repository root: python3 scripts/shape.py"""
import re, subprocess

files = subprocess.check_output(["git", "ls-files", "*.rs"]).decode().split()
def is_test(f):
    return (
        "/tests/" in f
        or f.startswith("tests/")
        or "/benches/" in f
        or f.endswith("/tests.rs")
    )

# Desk's public methods: every `pub fn` inside an `impl Desk` block, in any file.
desk = 0
for f in files:
    src = open(f).read()
    for m in re.finditer(r"^impl Desk \{\n(.*?)^\}", src, re.S | re.M):
        desk += len(re.findall(r"^    pub (?:async )?fn ", m.group(1), re.M))
print(f"Desk public methods: {desk}")

big = sorted(((sum(1 for _ in open(f)), f) for f in files if not is_test(f)), reverse=True)
big = [(n, f) for n, f in big if n > 800]
print(f"hand-written files over 800 lines: {len(big)}", ", ".join(f"{f} {n}" for n, f in big))

# Function lengths: from a `fn` line to the closing brace at the same indentation.
longest = []
for f in files:
    if is_test(f):
        continue
    lines = open(f).read().split("\n")
    for i, l in enumerate(lines):
        m = re.match(r"^(\s*)(?:pub(?:\([a-z]+\))? )?(?:async )?fn (\w+)", l)
        if not m:
            continue
        ind = m.group(1)
        for j in range(i + 1, len(lines)):
            if lines[j] == ind + "}":
                longest.append((j - i + 1, f"{f}:{i+1} {m.group(2)}"))
                break
longest.sort(reverse=True)
print("longest functions:", "; ".join(f"{w} {n}" for n, w in longest[:5]))
print(f"functions over 150 lines: {sum(1 for n, _ in longest if n > 150)}")

# Tauri commands: body lines of each #[tauri::command] fn.
cmd = []
for f in [f for f in files if f.startswith("src-tauri/src/")]:
  src = open(f).read().split("\n")
  for i, l in enumerate(src):
      if l.strip() == "#[tauri::command]":
          j = i + 1
          while not re.match(r"^pub (async )?fn", src[j]):
              j += 1
          k = j
          while not src[k].endswith("{"):
              k += 1
          e = k + 1
          while src[e] != "}":
              e += 1
          name = re.search(r"fn (\w+)", src[j]).group(1)
          cmd.append((e - k - 1, name))
cmd.sort(reverse=True)
print(f"Tauri commands: {len(cmd)}, over 3 lines: {sum(1 for n, _ in cmd if n > 3)}; longest:",
      ", ".join(f"{c} {n}" for n, c in cmd[:3]))

# Sleeps in tests, by kind: a fixed sleep stands in for an event; a poll interval is the pause
# of a condition wait (a function named `until*`, which re-checks what it waits for); a sleep in
# a file whose every async test runs on paused time is virtual (tokio advances it at once).
fixed, polls, virtual, bench = [], 0, 0, 0
for f in files:
    src, off = open(f).read(), 0
    if not is_test(f) and "/examples/" not in f:
        if "#[cfg(test)]" not in src:
            continue
        off = src[: src.index("#[cfg(test)]")].count("\n")
        src = src[src.index("#[cfg(test)]"):]
    tests = re.findall(r"#\[tokio::test(?:\(([^)]*)\))?\]", src)
    paused = bool(tests) and all("start_paused = true" in t for t in tests)
    for m in re.finditer(r"(?:tokio::time::|std::thread::|thread::)sleep\(", src):
        fns = re.findall(r"\bfn (\w+)", src[: m.start()])
        if "/examples/" in f:
            bench += 1
        elif paused:
            virtual += 1
        elif fns and fns[-1].startswith("until"):
            polls += 1
        else:
            line = off + src[: m.start()].count("\n") + 1
            fixed.append(f"{f}:{line}")
print(f"fixed sleeps in tests: {len(fixed)}", " ".join(fixed))
print(f"  besides: {polls} poll intervals inside condition waits (fn until*), {virtual} on paused time, {bench} in benchmarks")

b = open("ui/src/lib/bindings.ts").read()
strs = re.findall(r"^\s*(\w+)\??: string(?: \| null)?;?,?$", b, re.M)
print(f"string-typed fields in bindings.ts: {len(strs)}")

# Import circles: per crate, top-level modules as nodes, an edge where a module's files name
# another (`crate::x`, `super::x` from a top-level file, or `use crate::{x, …}`); circles are the
# strongly connected components with more than one module.
import os
def crate_circles(src_dir, prefix="crate"):
    mods = {}
    for root, _, fs in os.walk(src_dir):
        for fn in fs:
            if not fn.endswith(".rs") or fn == "tests.rs":
                continue
            p = os.path.join(root, fn)
            rel = os.path.relpath(p, src_dir)
            top = rel.split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main", "mod"):
                continue
            text = open(p).read()
            if "#[cfg(test)]" in text:
                text = text[: text.index("#[cfg(test)]")]
            # Comments (doc links included) name modules without depending on them.
            text = "\n".join(l for l in text.split("\n") if not l.strip().startswith("//"))
            mods.setdefault(top, "")
            mods[top] += text
    names = set(mods)
    edges = {m: set() for m in names}
    for m, text in mods.items():
        refs = re.findall(r"\b" + prefix + r"::(\w+)", text)
        if prefix != "crate":
            refs += re.findall(r"\bsuper::(\w+)", text)
        for n in refs:
            if n in names and n != m:
                edges[m].add(n)
        for group in re.findall(r"\b" + prefix + r"::\{([^}]*)\}", text):
            for n in re.findall(r"\b(\w+)\b", group):
                if n in names and n != m:
                    edges[m].add(n)
    # Tarjan
    index, low, stack, on, out, i = {}, {}, [], set(), [], [0]
    def sc(v):
        index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
        for w in edges[v]:
            if w not in index:
                sc(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1:
                out.append(sorted(comp))
    import sys
    sys.setrecursionlimit(10000)
    for v in sorted(names):
        if v not in index:
            sc(v)
    return out
for c in ["crates/trengo-api/src", "crates/trengo-unified/src", "crates/desk-core/src",
          "crates/desk-cli/src", "crates/trengo-sim/src", "src-tauri/src"]:
    circ = crate_circles(c)
    print(f"import circles in {c}: {len(circ)}", "; ".join(" ↔ ".join(x) for x in circ))

# The same within each folder module (its files and folders as nodes).
nested = 0
for c in ["crates/trengo-api/src", "crates/trengo-unified/src", "crates/desk-core/src",
          "crates/desk-cli/src", "crates/trengo-sim/src", "src-tauri/src"]:
    for d in sorted(os.listdir(c)):
        if os.path.isdir(os.path.join(c, d)):
            circ = crate_circles(os.path.join(c, d), "crate::" + d)
            nested += len(circ)
            for x in circ:
                print(f"  circle in {c}/{d}: " + " ↔ ".join(x))
print(f"import circles inside folder modules: {nested}")
