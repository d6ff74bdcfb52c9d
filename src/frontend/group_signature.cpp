// The signature a fusion group's kernel is specialised on (fusion_group.h):
// its per-input byte encoding, its text in cache keys, and the broadcast of
// input shapes into the iteration shape.
#include "frontend/fusion_group.h"

namespace fuze::frontend {

uint8_t encode_input(ir::DType t, ir::Layout l, bool zero_dim) {
  return static_cast<uint8_t>(static_cast<unsigned>(t) | (static_cast<unsigned>(l) << 3) | (zero_dim ? 32u : 0u));
}
InputSig decode_input(uint8_t b) {
  return InputSig{static_cast<ir::DType>(b & 7u), static_cast<ir::Layout>((b >> 3) & 3u), (b & 32u) != 0};
}
uint8_t with_layout(uint8_t b, ir::Layout l) {
  return static_cast<uint8_t>((b & ~0x18u) | (static_cast<unsigned>(l) << 3));
}

bool broadcast_into(c10::IntArrayRef shape, int64_t* iter, int* rank) {
  const int n = static_cast<int>(shape.size());
  if (n > kMaxGroupRank) return false;
  if (n > *rank) {  // shift right, pad with 1s
    const int shift = n - *rank;
    for (int d = *rank - 1; d >= 0; --d) iter[d + shift] = iter[d];
    for (int d = 0; d < shift; ++d) iter[d] = 1;
    *rank = n;
  }
  const int off = *rank - n;
  for (int d = 0; d < n; ++d) {
    const int64_t s = shape[static_cast<size_t>(d)];
    int64_t& it = iter[off + d];
    if (s == it || s == 1) continue;
    if (it != 1) return false;
    it = s;
  }
  return true;
}

std::string signature_text(const Signature& s) {
  std::string out = std::string(backend_name(static_cast<BackendKind>(s.backend))) + "|r" + std::to_string(s.rank) +
                    (s.strided_outputs ? "|out.strided:" : ":");
  for (int i = 0; i < s.num_inputs; ++i) {
    const InputSig in = decode_input(s.input[i]);
    out += ir::dtype_name(in.dtype);
    out += '.';
    out += ir::layout_name(in.layout);
    if (in.zero_dim) out += ".0d";
    out += ',';
  }
  return out;
}

}  // namespace fuze::frontend
