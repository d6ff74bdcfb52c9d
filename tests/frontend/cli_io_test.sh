#!/usr/bin/env bash
# cli_io_test.sh FUZE PYTHON MODELS_DIR: `fuze run --inputs/--outputs` with
# every form Python's torch.save writes for the inputs (a list of none, one or
# many tensors, a tuple of one or many, a bare tensor; Python's pickler writes
# APPEND for a one-element list, which libtorch's own unpickler rejects), and
# the --outputs file read back by Python's torch.load and checked against the
# model run in Python.
set -euo pipefail
fuze="$1"; py="$2"; models="$3"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
# torch.jit.script reads the classes' source: the script must be a file.
cat > "$tmp/make.py" <<'EOF'
import sys, torch
tmp = sys.argv[1]
torch.manual_seed(7)
x, h = torch.randn(3, 4), torch.randn(3, 4)
torch.save([], f"{tmp}/empty_list.pt")
torch.save(tuple(), f"{tmp}/empty_tuple.pt")
torch.save([x], f"{tmp}/one_list.pt")
torch.save((x,), f"{tmp}/one_tuple.pt")
torch.save(x, f"{tmp}/bare.pt")
torch.save([x, h], f"{tmp}/two_list.pt")
torch.save((x, h), f"{tmp}/two_tuple.pt")
torch.save([x.double()], f"{tmp}/one_double.pt")

class NoInput(torch.nn.Module):
    def forward(self):
        return torch.tanh(torch.ones(2, 3) * 0.5 + 1.0)

class OneInput(torch.nn.Module):
    def forward(self, x):
        return torch.tanh(x * 2.0 + 1.0), torch.sigmoid(x) - x

torch.jit.script(NoInput()).save(f"{tmp}/no_input.pt")
torch.jit.script(OneInput()).save(f"{tmp}/one_input.pt")
EOF
"$py" "$tmp/make.py" "$tmp"

check() {  # check INPUTS_FILE MODEL PYTHON_EXPR_OF_EXPECTED_OUTPUTS
  local in="$1" model="$2" expect="$3" out="$tmp/out_$(basename "$1")"
  "$fuze" run "$model" --inputs "$in" --outputs "$out" > "$tmp/log" || { cat "$tmp/log"; exit 1; }
  "$py" - "$in" "$out" "$expect" <<'EOF'
import sys, torch
inp, out, expect = sys.argv[1:]
args = torch.load(inp)
if isinstance(args, torch.Tensor):
    args = [args]
outs = torch.load(out)
assert isinstance(outs, list), type(outs)
ref = eval(expect)
assert len(outs) == len(ref), (len(outs), len(ref))
for o, r in zip(outs, ref):
    assert o.shape == r.shape and o.dtype == r.dtype, (o.shape, r.shape, o.dtype, r.dtype)
    assert torch.allclose(o, r, atol=2e-6), (o - r).abs().max()
print(f"{inp.split('/')[-1]}: {len(args)} inputs, {len(outs)} outputs read back by torch.load, equal to eager")
EOF
}

one='[torch.tanh(args[0] * 2.0 + 1.0), torch.sigmoid(args[0]) - args[0]]'
two='[torch.tanh(args[0] + args[1])] * 2'
none='[torch.tanh(torch.ones(2, 3) * 0.5 + 1.0)]'
check "$tmp/empty_list.pt" "$tmp/no_input.pt" "$none"
check "$tmp/empty_tuple.pt" "$tmp/no_input.pt" "$none"
check "$tmp/one_list.pt" "$tmp/one_input.pt" "$one"
check "$tmp/one_tuple.pt" "$tmp/one_input.pt" "$one"
check "$tmp/bare.pt" "$tmp/one_input.pt" "$one"
check "$tmp/one_double.pt" "$tmp/one_input.pt" "$one"
check "$tmp/two_list.pt" "$models/mycell_add_tanh.pt" "$two"
check "$tmp/two_tuple.pt" "$models/mycell_add_tanh.pt" "$two"

# A file that is no torch.save archive: one line, non-zero exit.
echo "not a zip" > "$tmp/junk.pt"
if "$fuze" run "$tmp/one_input.pt" --inputs "$tmp/junk.pt" 2> "$tmp/err"; then
  echo "FAIL: a junk --inputs file was accepted"; exit 1
fi
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "is not a file written by torch.save" "$tmp/err" \
  || { echo "FAIL: junk --inputs error:"; cat "$tmp/err"; exit 1; }
echo "all torch.save forms read and written"
