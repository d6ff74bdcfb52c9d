#include "golden/check_matcher.h"

#include <sstream>

namespace fuze::testing {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string failure(const Directive& d, const char* what, const std::string& output) {
  static const char* kNames[] = {"CHECK", "CHECK-NEXT", "CHECK-NOT", "ERROR", "PIPELINE"};
  return "line " + std::to_string(d.line) + ": " + kNames[static_cast<int>(d.kind)] + ": '" + d.pattern + "' " +
         what + "\n--- output ---\n" + output;
}

}  // namespace

std::vector<Directive> parse_directives(const std::string& text) {
  static const std::pair<const char*, Directive::Kind> kTags[] = {
      {"// CHECK-NEXT:", Directive::Kind::kNext}, {"// CHECK-NOT:", Directive::Kind::kNot},
      {"// CHECK:", Directive::Kind::kCheck},     {"// ERROR:", Directive::Kind::kError},
      {"// PIPELINE:", Directive::Kind::kPipeline}};
  std::vector<Directive> out;
  const std::vector<std::string> lines = split_lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    for (const auto& [tag, kind] : kTags) {
      const size_t at = lines[i].find(tag);
      if (at == std::string::npos) continue;
      out.push_back(Directive{kind, trim(lines[i].substr(at + std::string(tag).size())), static_cast<int>(i + 1)});
      break;
    }
  }
  return out;
}

std::string match_checks(const std::vector<Directive>& directives, const std::string& output) {
  const std::vector<std::string> lines = split_lines(output);
  size_t pos = 0;               // first line a CHECK may match
  long last = -1;               // line of the previous positive match
  std::vector<const Directive*> pending_not;
  auto find_from = [&](const std::string& pat, size_t from) -> long {
    for (size_t i = from; i < lines.size(); ++i) {
      if (lines[i].find(pat) != std::string::npos) return static_cast<long>(i);
    }
    return -1;
  };
  // CHECK-NOTs apply to the lines in [from, to).
  auto check_nots = [&](size_t from, size_t to) -> std::string {
    for (const Directive* d : pending_not) {
      for (size_t i = from; i < to && i < lines.size(); ++i) {
        if (lines[i].find(d->pattern) != std::string::npos) return failure(*d, "found", output);
      }
    }
    pending_not.clear();
    return "";
  };
  for (const Directive& d : directives) {
    switch (d.kind) {
      case Directive::Kind::kNot: pending_not.push_back(&d); break;
      case Directive::Kind::kCheck: {
        const long at = find_from(d.pattern, pos);
        if (at < 0) return failure(d, "not found", output);
        if (std::string e = check_nots(pos, static_cast<size_t>(at)); !e.empty()) return e;
        last = at;
        pos = static_cast<size_t>(at) + 1;
        break;
      }
      case Directive::Kind::kNext: {
        if (last < 0) return failure(d, "has no previous CHECK", output);
        const size_t want = static_cast<size_t>(last) + 1;
        if (want >= lines.size() || lines[want].find(d.pattern) == std::string::npos)
          return failure(d, ("not on the next line (line " + std::to_string(want + 1) + " of the output)").c_str(),
                         output);
        if (std::string e = check_nots(pos, want); !e.empty()) return e;
        last = static_cast<long>(want);
        pos = want + 1;
        break;
      }
      case Directive::Kind::kError:
      case Directive::Kind::kPipeline: break;
    }
  }
  return check_nots(pos, lines.size());
}

}  // namespace fuze::testing
