// Text -> Kernel IR (the format documented in fuze/ir/kernel.h).
//
// The parser checks syntax only (tokens, names, consecutive ids); semantic
// rules (SSA order, arities, dtypes, input indices...) are verify()'s job, so
// that a bad kernel can be written as text and handed to the verifier.
// Every error names its line: "line 3: unknown op 'tanhh'".
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuze/ir/kernel.h"

namespace fuze::ir {
namespace {

std::vector<std::string> tokenize(std::string_view line) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < line.size()) {
    const char c = line[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == ',' || c == '{' || c == '}' || c == '=') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      size_t j = i;
      while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j])) && line[j] != ',' &&
             line[j] != '{' && line[j] != '}' && line[j] != '=')
        ++j;
      tokens.emplace_back(line.substr(i, j - i));
      i = j;
    }
  }
  return tokens;
}

bool parse_int(const std::string& s, long long* out) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t j = i; j < s.size(); ++j) {
    if (!std::isdigit(static_cast<unsigned char>(s[j]))) return false;
  }
  errno = 0;
  *out = std::strtoll(s.c_str(), nullptr, 10);
  return errno == 0;
}

bool parse_double(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return false;
  *out = v;  // ERANGE (overflow to inf, underflow to a denormal/0) keeps strtod's rounding
  return true;
}

bool is_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(Kernel* out) : k_(out) {}

  Status run(std::string_view text) {
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      line_ = line_no;
      const size_t comment = line.find("//");
      if (comment != std::string_view::npos) line = line.substr(0, comment);
      std::vector<std::string> t = tokenize(line);
      if (t.empty()) continue;
      FUZE_TRY(line_tokens(t));
    }
    if (state_ == State::kHeader) return Status::error("line " + std::to_string(line_no) + ": expected 'kernel'");
    if (state_ == State::kBody) return Status::error("line " + std::to_string(line_no) + ": missing '}'");
    std::stable_sort(k_->mutable_inputs().begin(), k_->mutable_inputs().end(), [this](int a, int b) {
      return k_->node(a).input_index < k_->node(b).input_index;
    });
    return Status::ok();
  }

 private:
  enum class State { kHeader, kBody, kDone };

  Status fail(const std::string& msg) const { return Status::error("line " + std::to_string(line_) + ": " + msg); }

  Status line_tokens(const std::vector<std::string>& t) {
    switch (state_) {
      case State::kHeader: return header(t);
      case State::kBody: return body(t);
      case State::kDone: return fail("unexpected '" + t[0] + "' after the closing '}'");
    }
    return fail("bad state");
  }

  // kernel [name] rank N [reduce K] {
  Status header(const std::vector<std::string>& t) {
    if (t[0] != "kernel") return fail("expected 'kernel', got '" + t[0] + "'");
    size_t i = 1;
    std::string name;
    long long rank = 0;
    // "kernel rank 2 {" has no name; "kernel rank rank 2 {" is named "rank".
    if (i < t.size() && !(t[i] == "rank" && i + 1 < t.size() && parse_int(t[i + 1], &rank))) {
      if (!is_name(t[i])) return fail("bad kernel name '" + t[i] + "'");
      name = t[i++];
    }
    if (i >= t.size() || t[i] != "rank") return fail("expected 'rank' after the kernel name");
    ++i;
    if (i >= t.size() || !parse_int(t[i], &rank)) return fail("expected an integer rank");
    if (rank < 0 || rank > 64) return fail("rank " + t[i] + " out of range [0, 64]");
    ++i;
    long long reduce = 0;
    if (i < t.size() && t[i] == "reduce") {
      ++i;
      if (i >= t.size() || !parse_int(t[i], &reduce)) return fail("expected an integer after 'reduce'");
      // 0 <= K <= rank is verify()'s rule; the parser only keeps it in int range.
      if (reduce < -64 || reduce > 64) return fail("reduce " + t[i] + " out of range [0, 64]");
      ++i;
    }
    if (i >= t.size() || t[i] != "{") return fail("expected '{' at the end of the kernel header");
    if (++i < t.size()) return fail("unexpected '" + t[i] + "' after '{'");
    *k_ = Kernel(name, static_cast<int>(rank), static_cast<int>(reduce));
    state_ = State::kBody;
    return Status::ok();
  }

  Status value_ref(const std::string& tok, int* out) const {
    long long v = 0;
    if (tok.size() < 2 || tok[0] != '%' || !parse_int(tok.substr(1), &v) || tok[1] == '-' || tok[1] == '+')
      return fail("expected a value like %3, got '" + tok + "'");
    if (v > 1000000000) return fail("value id '" + tok + "' too large");
    *out = static_cast<int>(v);
    return Status::ok();
  }

  Status body(const std::vector<std::string>& t) {
    if (t[0] == "}") {
      if (t.size() > 1) return fail("unexpected '" + t[1] + "' after '}'");
      state_ = State::kDone;
      return Status::ok();
    }
    if (t[0] == "output") {
      if (t.size() != 3) return fail("expected 'output %<id> <layout>'");
      Output o;
      FUZE_TRY(value_ref(t[1], &o.value));
      if (!parse_layout(t[2], &o.layout)) return fail("unknown layout '" + t[2] + "'");
      k_->mutable_outputs().push_back(o);
      return Status::ok();
    }
    int id = 0;
    FUZE_TRY(value_ref(t[0], &id));
    const int expected = static_cast<int>(k_->nodes().size());
    if (id != expected)
      return fail("expected %" + std::to_string(expected) + ", got " + t[0] + " (ids are consecutive from %0)");
    if (t.size() < 2 || t[1] != "=") return fail("expected '=' after " + t[0]);
    if (t.size() < 4) return fail("incomplete definition of " + t[0]);
    Node n;
    const std::string& what = t[2];
    if (!parse_dtype(t[3], &n.dtype) && what != "input") return fail("unknown dtype '" + t[3] + "'");
    if (what == "input") {
      // %i = input <index> <dtype> <layout>
      if (t.size() != 6) return fail("expected '%<id> = input <index> <dtype> <layout>'");
      long long index = 0;
      if (!parse_int(t[3], &index) || index < 0 || index > 1000000) return fail("bad input index '" + t[3] + "'");
      if (!parse_dtype(t[4], &n.dtype)) return fail("unknown dtype '" + t[4] + "'");
      if (!parse_layout(t[5], &n.layout)) return fail("unknown layout '" + t[5] + "'");
      n.kind = NodeKind::kInput;
      n.input_index = static_cast<int>(index);
      k_->mutable_inputs().push_back(id);
    } else if (what == "const") {
      // %i = const <dtype> <number>
      if (t.size() != 5) return fail("expected '%<id> = const <dtype> <number>'");
      n.kind = NodeKind::kConst;
      if (!parse_double(t[4], &n.constant)) return fail("bad constant '" + t[4] + "'");
    } else {
      // %i = <op> <dtype> %a, %b
      n.kind = NodeKind::kOp;
      if (!parse_op(what, &n.op)) return fail("unknown op '" + what + "'");
      for (size_t i = 4; i < t.size(); ++i) {
        if (i > 4) {
          if (t[i] != ",") return fail("expected ',' between operands, got '" + t[i] + "'");
          if (++i >= t.size()) return fail("expected an operand after ','");
        }
        int arg = 0;
        FUZE_TRY(value_ref(t[i], &arg));
        n.args.push_back(arg);
      }
    }
    k_->mutable_nodes().push_back(std::move(n));
    return Status::ok();
  }

  Kernel* k_;
  State state_ = State::kHeader;
  int line_ = 0;
};

}  // namespace

Status parse(std::string_view text, Kernel* out) {
  Kernel k;
  Parser p(&k);
  FUZE_TRY(p.run(text));
  *out = std::move(k);
  return Status::ok();
}

}  // namespace fuze::ir
