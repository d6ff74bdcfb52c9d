#!/usr/bin/env python3
"""Checks that docs/cli.md's table of "not fused" reasons matches the code.

  check_reasons_doc.py FUSION_PASS_CPP REDUCE_NODES_CPP CLI_MD

The reasons `fuze run` ("not fused: ...") and `fuze dump --what unfused` print
are built in src/frontend/fusion_pass.cpp by check_tensor_value,
cast_fusibility, fusibility and collect_unfused, and for reductions in
src/frontend/reduce_nodes.cpp by reduction_fusibility and reduction_conflict. Every string literal of a
reason expression there (`return ...;`, `u.reason = ...;`) must appear in the
doc's section "Why a node is not fused", and every reason listed in that
section's table (first column, placeholders written <like this>) must be made
of text the code has, so that a reason added, changed or removed in the code
fails this test until the doc follows. Standard library only.
"""
import re
import sys

FUNCTIONS = ("check_tensor_value", "cast_fusibility", "backend_fusibility", "fusibility", "collect_unfused",
             "reduction_fusibility", "reduction_conflict")
SECTION = "### Why a node is not fused"
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def body(src, name):
    """The brace-balanced body of the function definition `name(`."""
    m = re.search(r"\n(?:std::string|void) " + name + r"\([^;{]*\)\s*\{", src)
    if not m:
        fail("no definition of %s in fusion_pass.cpp (update this test)" % name)
    i, depth = m.end(), 1
    while depth:
        c = src[i]
        if c == '"':
            i = src.index('"', i + 1)
            while src[i - 1] == "\\":
                i = src.index('"', i + 1)
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return src[m.end():i - 1]


def statements(text):
    """The expressions of `return X;` and `u.reason = X;` (X may span lines)."""
    out = []
    for m in re.finditer(r"\b(?:return|u\.reason\s*=)\s", text):
        j, in_str = m.end(), False
        while True:
            c = text[j]
            if c == '"' and text[j - 1] != "\\":
                in_str = not in_str
            elif c == ";" and not in_str:
                break
            j += 1
        out.append(text[m.end():j])
    return out


def code_fragments(src):
    frags = set()
    for name in FUNCTIONS:
        for expr in statements(body(src, name)):
            for lit in LITERAL.findall(expr):
                lit = lit.replace('\\"', '"').strip()
                if len(lit) >= 3:
                    frags.add(lit)
    if len(frags) < 10:
        fail("found only %d reason fragments in fusion_pass.cpp: %r (update this test)" % (len(frags), sorted(frags)))
    return frags


def doc_section(doc):
    start = doc.find(SECTION)
    if start < 0:
        fail("docs/cli.md has no section %r" % SECTION)
    end = doc.find("\n#", start + len(SECTION))
    return doc[start:end if end >= 0 else len(doc)]


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        sys.exit(2)
    src = open(sys.argv[1]).read() + "\n" + open(sys.argv[2]).read()
    section = doc_section(open(sys.argv[3]).read())
    frags = code_fragments(src)
    missing = sorted(f for f in frags if f not in section)
    if missing:
        fail("docs/cli.md's reasons lack text the code prints: %s" % "; ".join(repr(m) for m in missing))
    # The other way: each documented reason is built from the code's text.
    entries = re.findall(r"^\| `([^`]+)` \|", section, re.M)
    if not entries:
        fail("no reasons table (rows starting with | `reason` |) in the section")
    code_text = "\n".join(frags)
    for entry in entries:
        for part in re.split(r"<[^>]*>|\|", entry):
            part = part.strip(" ()")
            if len(part) >= 3 and part not in code_text:
                fail("docs/cli.md lists %r, but the code prints no %r" % (entry, part))
    print("reasons doc OK: %d code fragments, %d documented reasons" % (len(frags), len(entries)))


if __name__ == "__main__":
    main()
