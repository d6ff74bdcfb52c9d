#!/usr/bin/env bash
# cli_bad_inputs_test.sh FUZE PYTHON MODELS CLI_ERROR_TEST OUTDIR: `fuze run
# --inputs FILE` with inputs TorchScript rejects (a string, a non-broadcastable
# shape, too few) prints TorchScript's error in one line; inputs of another
# dtype that TorchScript takes (int64, float64) run and match; a corrupt
# inputs file is a one-line error.
set -u
fuze="$1" py="$2" models="$3" check="$4" dir="$5"
"$py" - "$dir" <<'PY' || exit 1
import sys, torch
d = sys.argv[1]
torch.save(["not a tensor", torch.rand(3, 4)], d + "/in_string.pt")
torch.save([torch.rand(3, 4), torch.rand(5, 6)], d + "/in_shape.pt")
torch.save([torch.rand(3, 4)], d + "/in_arity.pt")  # one element: Python writes APPEND
torch.save([torch.randint(-3, 3, (3, 4)), torch.randint(-3, 3, (3, 4))], d + "/in_int64.pt")
torch.save([torch.rand(3, 4, dtype=torch.float64), torch.rand(3, 4)], d + "/in_float64.pt")
torch.save([torch.tensor([float("nan"), float("inf"), -float("inf"), 1e-45]).repeat(3, 1), torch.rand(3, 4)],
           d + "/in_special.pt")
raw = open(d + "/in_int64.pt", "rb").read()
open(d + "/in_corrupt.pt", "wb").write(raw[: len(raw) // 2])
PY
m="$models/mycell_add_tanh.pt"
status=0
"$check" "^fuze: .*Expected a value of type 'Tensor'" "$fuze" run "$m" --inputs "$dir/in_string.pt" || status=1
"$check" "^fuze: RuntimeError: The size of tensor a \(4\) must match the size of tensor b \(6\)" \
  "$fuze" run "$m" --inputs "$dir/in_shape.pt" || status=1
"$check" "^fuze: .*forward" "$fuze" run "$m" --inputs "$dir/in_arity.pt" || status=1
"$check" "^fuze: .*is not a file written by torch.save" "$fuze" run "$m" --inputs "$dir/in_corrupt.pt" || status=1
for ok in in_int64 in_float64 in_special; do
  out=$("$fuze" run "$m" --inputs "$dir/$ok.pt" 2>&1)
  rc=$?
  echo "--- $ok: exit $rc; $(echo "$out" | grep -E "^output 0|max \|")"
  [ $rc -eq 0 ] || { echo "FAIL: exit $rc: $out"; status=1; }
  echo "$out" | grep -Eq "max \|fuze - torchscript\|: (0|[0-9.]+e-0[6-9]|[0-9.]+e-[1-9][0-9])$" ||
    { echo "FAIL: results differ"; status=1; }
done
rm -f "$dir"/in_*.pt
exit $status
