#!/usr/bin/python3
"""Writes the real-model set (issue 15) into <outdir>: models as people deploy
them, with random weights (nothing is downloaded), captured the way users
capture them. Run by the build with Debian's /usr/bin/python3:

    make_real_models.py <outdir>

Writes <name>.pt for each model and models.txt, one line per model:
    name file shape shape ...   (shapes as 1x3x64x64)
Test shapes are small; the `_b1_h64` / `_b64_h256` RNN layers are the
benchmark configurations (batch 1 / hidden 64 and batch 64 / hidden 256, 32
steps).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class GPT2MLP(nn.Module):
    """Linear, GPT-2's tanh GELU written out as in the GPT-2 code, Linear, residual."""

    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, 4 * d)
        self.proj = nn.Linear(4 * d, d)

    def forward(self, x):
        h = self.fc(x)
        h = 0.5 * h * (1.0 + torch.tanh(0.7978845608028654 * (h + 0.044715 * torch.pow(h, 3.0))))
        return x + self.proj(h)


class TanhGelu(nn.Module):
    """The GPT-2 GELU alone (the elementwise part of the MLP)."""

    def forward(self, h):
        return 0.5 * h * (1.0 + torch.tanh(0.7978845608028654 * (h + 0.044715 * torch.pow(h, 3.0))))


class SwiGLU(nn.Module):
    """LLaMA's MLP: w2(silu(w1 x) * w3 x), plus the residual."""

    def __init__(self, d, hidden):
        super().__init__()
        self.w1 = nn.Linear(d, hidden, bias=False)
        self.w2 = nn.Linear(hidden, d, bias=False)
        self.w3 = nn.Linear(d, hidden, bias=False)

    def forward(self, x):
        return x + self.w2(F.silu(self.w1(x)) * self.w3(x))


class RMSNormResidual(nn.Module):
    """LLaMA's RMSNorm after a residual add."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(d) + 0.5)
        self.eps = eps

    def forward(self, x, residual):
        h = x + residual
        var = h.pow(2).mean(-1, keepdim=True)
        return h * torch.rsqrt(var + self.eps) * self.weight, h


class EncoderBlock(nn.Module):
    """A post-norm transformer encoder block as users write it (the layout of
    nn.TransformerEncoderLayer with norm_first=False): multi-head attention
    with an additive mask, residual + LayerNorm, a GELU MLP, residual +
    LayerNorm."""

    def __init__(self, d, heads, hidden):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)
        self.ln2 = nn.LayerNorm(d)

    def forward(self, x, mask):
        b, t, d = x.size()
        hd = d // self.heads
        q, k, v = self.qkv(x).split(d, dim=2)
        q = q.view(b, t, self.heads, hd).transpose(1, 2)
        k = k.view(b, t, self.heads, hd).transpose(1, 2)
        v = v.view(b, t, self.heads, hd).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-2, -1) * (1.0 / hd ** 0.5) + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = self.ln1(x + self.proj(y))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))


# fastrnns-style layers (PyTorch's own fuser benchmark, benchmarks/fastrnns):
# the matmuls, then the cell's pointwise ops, a Python loop over the steps.

class LSTMLayer(nn.Module):
    def __init__(self, input_size, hidden):
        super().__init__()
        self.w_ih = nn.Parameter(torch.randn(4 * hidden, input_size) / hidden ** 0.5)
        self.w_hh = nn.Parameter(torch.randn(4 * hidden, hidden) / hidden ** 0.5)
        self.b_ih = nn.Parameter(torch.randn(4 * hidden) * 0.1)
        self.b_hh = nn.Parameter(torch.randn(4 * hidden) * 0.1)

    def forward(self, xs, hx, cx):
        outputs = []
        for i in range(xs.size(0)):
            gates = torch.mm(xs[i], self.w_ih.t()) + torch.mm(hx, self.w_hh.t()) + self.b_ih + self.b_hh
            ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
            ingate = torch.sigmoid(ingate)
            forgetgate = torch.sigmoid(forgetgate)
            cellgate = torch.tanh(cellgate)
            outgate = torch.sigmoid(outgate)
            cx = (forgetgate * cx) + (ingate * cellgate)
            hx = outgate * torch.tanh(cx)
            outputs.append(hx)
        return torch.stack(outputs), hx, cx


class GRULayer(nn.Module):
    def __init__(self, input_size, hidden):
        super().__init__()
        self.w_ih = nn.Parameter(torch.randn(3 * hidden, input_size) / hidden ** 0.5)
        self.w_hh = nn.Parameter(torch.randn(3 * hidden, hidden) / hidden ** 0.5)
        self.b_ih = nn.Parameter(torch.randn(3 * hidden) * 0.1)
        self.b_hh = nn.Parameter(torch.randn(3 * hidden) * 0.1)

    def forward(self, xs, hx):
        outputs = []
        for i in range(xs.size(0)):
            gi = torch.mm(xs[i], self.w_ih.t()) + self.b_ih
            gh = torch.mm(hx, self.w_hh.t()) + self.b_hh
            i_r, i_i, i_n = gi.chunk(3, 1)
            h_r, h_i, h_n = gh.chunk(3, 1)
            resetgate = torch.sigmoid(i_r + h_r)
            inputgate = torch.sigmoid(i_i + h_i)
            newgate = torch.tanh(i_n + resetgate * h_n)
            hx = newgate + inputgate * (hx - newgate)
            outputs.append(hx)
        return torch.stack(outputs), hx


class MILSTMLayer(nn.Module):
    """Multiplicative-integration LSTM (fastrnns' milstm)."""

    def __init__(self, input_size, hidden):
        super().__init__()
        self.w_ih = nn.Parameter(torch.randn(4 * hidden, input_size) / hidden ** 0.5)
        self.w_hh = nn.Parameter(torch.randn(4 * hidden, hidden) / hidden ** 0.5)
        self.alpha = nn.Parameter(torch.rand(4 * hidden))
        self.beta_i = nn.Parameter(torch.rand(4 * hidden))
        self.beta_h = nn.Parameter(torch.rand(4 * hidden))
        self.bias = nn.Parameter(torch.randn(4 * hidden) * 0.1)

    def forward(self, xs, hx, cx):
        outputs = []
        for i in range(xs.size(0)):
            Wx = xs[i].mm(self.w_ih.t())
            Uz = hx.mm(self.w_hh.t())
            gates = self.alpha * Wx * Uz + self.beta_i * Wx + self.beta_h * Uz + self.bias
            ingate, forgetgate, cellgate, outgate = gates.chunk(4, 1)
            ingate = ingate.sigmoid()
            forgetgate = forgetgate.sigmoid()
            cellgate = cellgate.tanh()
            outgate = outgate.sigmoid()
            cx = (forgetgate * cx) + (ingate * cellgate)
            hx = outgate * cx.tanh()
            outputs.append(hx)
        return torch.stack(outputs), hx, cx


def shape_text(s):
    return "x".join(str(d) for d in s)


def main():
    if len(sys.argv) != 2:
        print("usage: make_real_models.py <outdir>", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    lines = []

    def save(name, module, shapes):
        module.save(os.path.join(out, name + ".pt"))
        lines.append(" ".join([name, name + ".pt"] + [shape_text(s) for s in shapes]))

    def traced_frozen(module, shapes):
        module.eval()
        example = tuple(torch.randn(s) for s in shapes)
        with torch.no_grad():
            return torch.jit.freeze(torch.jit.trace(module, example))

    try:
        import torchvision
        for name, ctor in [("resnet18", torchvision.models.resnet18),
                           ("mobilenet_v3_small", torchvision.models.mobilenet_v3_small)]:
            shapes = [[1, 3, 64, 64]]
            save(name + "_traced_frozen", traced_frozen(ctor(), shapes), shapes)
    except ImportError:
        print("make_real_models: no torchvision (python3-torchvision): the CNNs are left out", file=sys.stderr)

    with torch.no_grad():
        save("gpt2_mlp_traced", torch.jit.trace(GPT2MLP(64).eval(), (torch.randn(8, 64),)), [[8, 64]])
        save("gelu_tanh_traced", torch.jit.trace(TanhGelu(), (torch.randn(128, 3072),)), [[128, 3072]])
        save("llama_swiglu_traced", torch.jit.trace(SwiGLU(64, 172).eval(), (torch.randn(8, 64),)), [[8, 64]])
        save("rmsnorm_residual_scripted", torch.jit.script(RMSNormResidual(256)), [[16, 256], [16, 256]])
        enc_shapes = [[2, 16, 64], [16, 16]]
        save("encoder_block_scripted", torch.jit.script(EncoderBlock(64, 4, 256).eval()), enc_shapes)
        save("encoder_block_traced", torch.jit.trace(EncoderBlock(64, 4, 256).eval(),
                                                     tuple(torch.randn(s) for s in enc_shapes)), enc_shapes)
    for suffix, batch, hidden in [("", 3, 16), ("_b1_h64", 1, 64), ("_b64_h256", 64, 256)]:
        steps = 32 if suffix else 8
        save("lstm_layer_scripted" + suffix, torch.jit.script(LSTMLayer(hidden, hidden)),
             [[steps, batch, hidden], [batch, hidden], [batch, hidden]])
        save("gru_layer_scripted" + suffix, torch.jit.script(GRULayer(hidden, hidden)),
             [[steps, batch, hidden], [batch, hidden]])
        save("milstm_layer_scripted" + suffix, torch.jit.script(MILSTMLayer(hidden, hidden)),
             [[steps, batch, hidden], [batch, hidden], [batch, hidden]])

    with open(os.path.join(out, "models.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
