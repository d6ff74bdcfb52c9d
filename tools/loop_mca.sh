#!/bin/bash
# loop_mca.sh: static cycle estimate of a kernel's vector loop with llvm-mca,
# for comparing code generation without a quiet machine (no wall clock).
# Takes the loop body (between the loop label after the empty-range jz and the
# back-edge jb) from FUZE_DUMP=asm of tools/kernel_cost, drops the induction
# instructions, rewrites constant-pool references to rip-relative ones.
#
#   tools/loop_mca.sh build-x86/tools/kernel_cost lstm [znver3] [--isa avx2]
set -e
bin=$1; kernel=$2; cpu=${3:-znver3}; shift 3 2>/dev/null || shift $#
body=$(FUZE_DUMP=asm "$bin" "$kernel" 64 "$@" 2>&1 >/dev/null |
  awk '/^L[0-9]+:$/ {if (seen_jz) inloop=1; next} /^jz / {seen_jz=1; next} /jb L/ {if (inloop) exit} inloop {print}' |
  grep -v -E '^(add rax|cmp rax)' | sed -E 's/\[L[0-9]+\+?([0-9]*)\]/[rip+0\1]/g')
n=$(printf '%s\n' "$body" | wc -l)
cycles=$(printf '.intel_syntax noprefix\n%s\n' "$body" | llvm-mca -mcpu="$cpu" -iterations=200 2>/dev/null |
  awk '/^Total Cycles:/ {print $3}')
python3 -c "print('%s %s: %d instructions/iteration, %.1f cycles/iteration (llvm-mca %s)' % ('$(basename "$bin")', '$kernel', $n, $cycles / 200.0, '$cpu'))"
