#!/usr/bin/env bash
# cli_io_test.sh FUZE PYTHON MODELS_DIR: `fuze run --inputs/--outputs` round trip
# with files written and read by Python's torch.save / torch.load.
set -euo pipefail
fuze="$1"; py="$2"; models="$3"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$py" -c "
import torch
torch.manual_seed(7)
torch.save([torch.randn(3, 4), torch.randn(3, 4)], '$tmp/in.pt')"
"$fuze" run "$models/mycell_add_tanh.pt" --inputs "$tmp/in.pt" --outputs "$tmp/out.pt"
"$py" -c "
import torch
x, h = torch.load('$tmp/in.pt')
outs = torch.load('$tmp/out.pt')
assert len(outs) == 2, outs
ref = torch.tanh(x + h)
for o in outs:
    assert o.shape == ref.shape and o.dtype == torch.float32
    assert torch.allclose(o, ref, atol=2e-6), (o - ref).abs().max()
print('outputs read back by torch.load match torch.tanh(x + h)')"
