// Reading and writing torch.save'd tensor files (see tensor_file.h).
#include "cli/tensor_file.h"

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

namespace fuze::cli {

namespace {

// How a pickle opcode moves the stack: it reads `arg` bytes after the opcode
// (kLine: up to a newline, kLine2: two lines, kLen1/kLen4/kLen8: a length of
// that many bytes, then that many bytes), then pops `pop` items (-1: down to
// and including the last MARK) and pushes `push` (0 or 1).
enum Arg : int8_t { kNone = 0, kLine = -1, kLine2 = -2, kLen1 = -3, kLen4 = -4, kLen8 = -5 };
struct OpEffect {
  int arg;
  int pop;
  int push;
  bool mark;  // pushes a MARK
};

// Every opcode of pickle protocols 0-5 that a tensor file may hold, but DUP
// (a MARK before it would change what it copies): a pickle with DUP is left as is.
const std::map<uint8_t, OpEffect>& op_effects() {
  static const std::map<uint8_t, OpEffect> m = {
      {0x80, {1, 0, 0, false}},       // PROTO
      {0x95, {8, 0, 0, false}},       // FRAME
      {'(', {0, 0, 0, true}},         // MARK
      {'.', {0, 0, 0, false}},        // STOP
      {'0', {0, 1, 0, false}},        // POP
      {'1', {0, -1, 0, false}},       // POP_MARK
      {'N', {0, 0, 1, false}},        // NONE
      {0x88, {0, 0, 1, false}},       // NEWTRUE
      {0x89, {0, 0, 1, false}},       // NEWFALSE
      {'I', {kLine, 0, 1, false}},    // INT
      {'J', {4, 0, 1, false}},        // BININT
      {'K', {1, 0, 1, false}},        // BININT1
      {'M', {2, 0, 1, false}},        // BININT2
      {'L', {kLine, 0, 1, false}},    // LONG
      {0x8a, {kLen1, 0, 1, false}},   // LONG1
      {0x8b, {kLen4, 0, 1, false}},   // LONG4
      {'F', {kLine, 0, 1, false}},    // FLOAT
      {'G', {8, 0, 1, false}},        // BINFLOAT
      {'S', {kLine, 0, 1, false}},    // STRING
      {'T', {kLen4, 0, 1, false}},    // BINSTRING
      {'U', {kLen1, 0, 1, false}},    // SHORT_BINSTRING
      {'V', {kLine, 0, 1, false}},    // UNICODE
      {'X', {kLen4, 0, 1, false}},    // BINUNICODE
      {0x8c, {kLen1, 0, 1, false}},   // SHORT_BINUNICODE
      {0x8d, {kLen8, 0, 1, false}},   // BINUNICODE8
      {'B', {kLen4, 0, 1, false}},    // BINBYTES
      {'C', {kLen1, 0, 1, false}},    // SHORT_BINBYTES
      {0x8e, {kLen8, 0, 1, false}},   // BINBYTES8
      {0x96, {kLen8, 0, 1, false}},   // BYTEARRAY8
      {']', {0, 0, 1, false}},        // EMPTY_LIST
      {')', {0, 0, 1, false}},        // EMPTY_TUPLE
      {'}', {0, 0, 1, false}},        // EMPTY_DICT
      {0x8f, {0, 0, 1, false}},       // EMPTY_SET
      {'a', {0, 1, 0, false}},        // APPEND
      {'e', {0, -1, 0, false}},       // APPENDS
      {'l', {0, -1, 1, false}},       // LIST
      {'t', {0, -1, 1, false}},       // TUPLE
      {'d', {0, -1, 1, false}},       // DICT
      {0x85, {0, 1, 1, false}},       // TUPLE1
      {0x86, {0, 2, 1, false}},       // TUPLE2
      {0x87, {0, 3, 1, false}},       // TUPLE3
      {'s', {0, 2, 0, false}},        // SETITEM
      {'u', {0, -1, 0, false}},       // SETITEMS
      {0x90, {0, -1, 0, false}},      // ADDITEMS
      {0x91, {0, -1, 1, false}},      // FROZENSET
      {'p', {kLine, 0, 0, false}},    // PUT
      {'q', {1, 0, 0, false}},        // BINPUT
      {'r', {4, 0, 0, false}},        // LONG_BINPUT
      {0x94, {0, 0, 0, false}},       // MEMOIZE
      {'g', {kLine, 0, 1, false}},    // GET
      {'h', {1, 0, 1, false}},        // BINGET
      {'j', {4, 0, 1, false}},        // LONG_BINGET
      {'c', {kLine2, 0, 1, false}},   // GLOBAL
      {0x93, {0, 2, 1, false}},       // STACK_GLOBAL
      {'R', {0, 2, 1, false}},        // REDUCE
      {'b', {0, 1, 0, false}},        // BUILD
      {0x81, {0, 2, 1, false}},       // NEWOBJ
      {0x92, {0, 3, 1, false}},       // NEWOBJ_EX
      {'P', {kLine, 0, 1, false}},    // PERSID
      {'Q', {0, 1, 1, false}},        // BINPERSID
      {0x82, {1, 0, 1, false}},       // EXT1
      {0x83, {2, 0, 1, false}},       // EXT2
      {0x84, {4, 0, 1, false}},       // EXT4
  };
  return m;
}

// Little-endian unsigned integer of `n` bytes at p.
uint64_t read_le(const std::string& s, size_t p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[p + static_cast<size_t>(i)]);
  return v;
}

// Bytes taken by the argument of an opcode at `p` (the opcode byte excluded),
// or SIZE_MAX when it runs past the end.
size_t arg_size(const std::string& s, size_t p, int arg) {
  const size_t start = p + 1, n = s.size();
  auto line_end = [&](size_t from) {
    const size_t e = s.find('\n', from);
    return e == std::string::npos ? SIZE_MAX : e + 1;
  };
  switch (arg) {
    case kNone: return 0;
    case kLine: {
      const size_t e = line_end(start);
      return e == SIZE_MAX ? SIZE_MAX : e - start;
    }
    case kLine2: {
      const size_t e1 = line_end(start);
      const size_t e2 = e1 == SIZE_MAX ? SIZE_MAX : line_end(e1);
      return e2 == SIZE_MAX ? SIZE_MAX : e2 - start;
    }
    case kLen1: case kLen4: case kLen8: {
      const int w = arg == kLen1 ? 1 : (arg == kLen4 ? 4 : 8);
      if (start + static_cast<size_t>(w) > n) return SIZE_MAX;
      const uint64_t len = read_le(s, start, w);
      if (len > n) return SIZE_MAX;
      return static_cast<size_t>(w) + static_cast<size_t>(len);
    }
    default: return static_cast<size_t>(arg);
  }
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  TORCH_CHECK(in.good(), "cannot open '", path, "' (no such file or not readable)");
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

torch::jit::IValue unpickle_archive(const std::vector<char>& bytes) {
  caffe2::serialize::PyTorchStreamReader reader(
      std::make_unique<caffe2::serialize::MemoryReadAdapter>(bytes.data(), bytes.size()));
  TORCH_CHECK(reader.hasRecord("data.pkl"), "no data.pkl in the archive");
  at::DataPtr data;
  size_t size = 0;
  std::tie(data, size) = reader.getRecord("data.pkl");
  const std::string pickle =
      rewrite_pickle_appends(std::string(static_cast<const char*>(data.get()), size));
  size_t pos = 0;
  auto read = [&](char* out, size_t len) -> size_t {
    len = std::min(len, pickle.size() - pos);
    std::memcpy(out, pickle.data() + pos, len);
    pos += len;
    return len;
  };
  auto read_record = [&](const std::string& name) { return std::get<0>(reader.getRecord("data/" + name)); };
  torch::jit::Unpickler unpickler(read, nullptr, nullptr, read_record, c10::nullopt);
  unpickler.set_version(reader.version());
  return unpickler.parse_ivalue();
}

}  // namespace

std::string rewrite_pickle_appends(const std::string& s) {
  if (s.find('a') == std::string::npos) return s;
  const auto& effects = op_effects();
  struct Item {
    size_t start;
    bool mark;
  };
  std::vector<Item> stack;
  std::vector<size_t> marks_at, appends_at;  // byte offsets in `s`
  size_t p = 0;
  while (p < s.size()) {
    const auto it = effects.find(static_cast<uint8_t>(s[p]));
    if (it == effects.end()) return s;
    const OpEffect& e = it->second;
    const size_t len = arg_size(s, p, e.arg);
    if (len == SIZE_MAX) return s;
    size_t start = p;
    if (e.pop == -1) {
      while (!stack.empty() && !stack.back().mark) stack.pop_back();
      if (stack.empty()) return s;
      start = stack.back().start;
      stack.pop_back();
    } else {
      for (int i = 0; i < e.pop; ++i) {
        if (stack.empty() || stack.back().mark) return s;
        start = stack.back().start;
        stack.pop_back();
      }
    }
    if (s[p] == 'a') {
      marks_at.push_back(start);
      appends_at.push_back(p);
    }
    if (e.push) stack.push_back({start, false});
    if (e.mark) stack.push_back({p, true});
    if (s[p] == '.') break;
    p += 1 + len;
  }
  if (appends_at.empty()) return s;
  std::sort(marks_at.begin(), marks_at.end());
  std::string out;
  out.reserve(s.size() + marks_at.size());
  size_t m = 0, a = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    while (m < marks_at.size() && marks_at[m] == i) {
      out.push_back('(');
      ++m;
    }
    if (a < appends_at.size() && appends_at[a] == i) {
      out.push_back('e');
      ++a;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<torch::jit::IValue> load_tensor_file(const std::string& path) {
  const std::vector<char> bytes = read_bytes(path);
  torch::jit::IValue v;
  try {
    v = unpickle_archive(bytes);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "'", path, "' is not a file written by torch.save: ", first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "'", path, "' is not a file written by torch.save: ", first_line(e.what()));
  }
  std::vector<torch::jit::IValue> out;
  if (v.isList()) {
    for (const auto& e : v.toListRef()) out.push_back(e);
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) out.push_back(e);
  } else {
    out.push_back(v);
  }
  return out;
}

void save_tensor_list(const std::string& path, const std::vector<at::Tensor>& tensors) {
  c10::List<at::Tensor> list;
  for (const auto& t : tensors) list.push_back(t);
  const std::vector<char> bytes = torch::jit::pickle_save(list);
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  TORCH_CHECK(f.good(), "cannot write '", path, "'");
}

}  // namespace fuze::cli
