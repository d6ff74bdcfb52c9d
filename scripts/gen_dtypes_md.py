#!/usr/bin/env python3
"""Writes docs/dtypes.md from the op x dtype tables the dtype tests print.

Usage: scripts/gen_dtypes_md.py BUILD_DIR   (runs fuze_frontend_pass_tests there)
"""
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "build")
exe = build / "tests" / "frontend" / "fuze_frontend_pass_tests"
text = subprocess.run([str(exe), "--gtest_filter=FusionDtypes*:FusionHalf*"], capture_output=True, text=True,
                      check=True).stdout

tables = []
for line in text.splitlines():
    if line.startswith("op ") and "K kernel" in line:
        tables.append((line.split("(")[0].split()[1:], []))
    elif tables and line and line.split()[0].replace("_", "").replace(".", "").isalnum() and \
            all(c in "KFE!" for c in "".join(line.split()[1:])) and len(line.split()) == len(tables[-1][0]) + 1:
        tables[-1][1].append(line.split())

names = ["Every dtype, 5x7 inputs with NaN/inf/0 (tests/frontend/fusion_dtype_test.cpp)",
         "float16/bfloat16 over all 65,536 values, contiguous and strided (tests/frontend/fusion_half_test.cpp)"]
out = ["# Op x dtype coverage (CPU)", "",
       "What each fusible TorchScript op does for each input dtype, as printed by the tests that check it",
       "(regenerate: `scripts/gen_dtypes_md.py build`):", "",
       "- **K**: fused, a compiled kernel ran and its result equals TorchScript's (bit for bit for exact ops;",
       "  transcendental ops within the tests' bounds: float32 ULP bounds, 1 unit of a 16-bit result).",
       "- **F**: fused group, but this signature runs the fallback (TorchScript's own ops), with the",
       "  same result: either the lowering does not take the dtype yet (bool add/mul/sign/square, integer",
       "  nan_to_num/threshold), or eager's 16-bit kernel rounds differently from float32-math-then-round",
       "  (see `half_mismatch` in src/frontend/lowering.cpp; found by the exhaustive 16-bit test).",
       "- **E**: TorchScript itself raises for this dtype (libtorch 1.13 has no CPU kernel, e.g. many",
       "  Half ops); the fused graph raises the same error.", "",
       "float16/bfloat16: the first call of each 16-bit signature runs TorchScript to learn whether eager",
       "has the ops (the answer is kept for the process), so K means the second and later calls.", ""]
for (cols, rows), name in zip(tables, names):
    out += ["## " + name, "", "| op | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    count = {k: sum(r[1:].count(k) for r in rows) for k in "KFE"}
    out += ["", f"Totals: {count['K']} K, {count['F']} F, {count['E']} E over {len(rows)} ops x {len(cols)} dtypes.", ""]
(root / "docs" / "dtypes.md").write_text("\n".join(out))
print("wrote docs/dtypes.md:", ", ".join(str(len(r)) + " ops" for _, r in tables))
