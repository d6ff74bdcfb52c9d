// A small FileCheck: matches `// CHECK:` directives against an output text.
//
//   // CHECK: text       the next line (at or after the position) containing text
//   // CHECK-NEXT: text  the line right after the previous match contains text
//   // CHECK-NOT: text   no line between the previous match and the next
//                        positive match (or the end) contains text
//   // ERROR: text       the input must fail to parse or verify, with a message
//                        containing text (checked by the driver, not here)
//   // PIPELINE: none    verify and name only, no optimisation (driver)
#pragma once

#include <string>
#include <vector>

namespace fuze::testing {

struct Directive {
  enum class Kind { kCheck, kNext, kNot, kError, kPipeline };
  Kind kind;
  std::string pattern;  // trimmed
  int line;             // in the golden file, for messages
};

// Directives found in `text` (lines holding "// CHECK...:", "// ERROR:", "// PIPELINE:").
std::vector<Directive> parse_directives(const std::string& text);

// Empty when `output` satisfies the CHECK/CHECK-NEXT/CHECK-NOT directives;
// otherwise a message naming the failed directive's line and the output.
std::string match_checks(const std::vector<Directive>& directives, const std::string& output);

}  // namespace fuze::testing
