// Golden kernel-IR tests: every tests/golden/*.fir is parsed, run through the
// pass pipeline and printed; the output must satisfy the file's CHECK lines
// (check_matcher.h), or the file's ERROR line must name the failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuze/ir/kernel.h"
#include "golden/check_matcher.h"
#include "passes/pipeline.h"

namespace fuze::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> golden_files() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(FUZE_GOLDEN_DIR)) {
    if (e.path().extension() == ".fir") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Matches) {
  const std::string path = std::string(FUZE_GOLDEN_DIR) + "/" + GetParam() + ".fir";
  const std::string text = read_file(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  const std::vector<Directive> dirs = parse_directives(text);
  const Directive* error = nullptr;
  bool optimize = true;
  int checks = 0;
  for (const Directive& d : dirs) {
    if (d.kind == Directive::Kind::kError) error = &d;
    if (d.kind == Directive::Kind::kPipeline) optimize = d.pattern != "none";
    if (d.kind == Directive::Kind::kCheck || d.kind == Directive::Kind::kNext) ++checks;
  }
  ASSERT_TRUE(error != nullptr || checks > 0) << path << ": no CHECK or ERROR directive";

  ir::Kernel k;
  Status s = ir::parse(text, &k);
  if (s) {
    passes::PipelineOptions opts;
    opts.optimize = optimize;
    s = passes::run_pipeline(&k, opts);
  }
  if (error != nullptr) {
    ASSERT_FALSE(s) << path << ": expected an error containing '" << error->pattern << "', got:\n" << ir::print(k);
    EXPECT_NE(s.message().find(error->pattern), std::string::npos)
        << path << ":" << error->line << ": error '" << s.message() << "' lacks '" << error->pattern << "'";
    return;
  }
  ASSERT_TRUE(s) << path << ": " << s.message();
  const std::string out = ir::print(k);
  const std::string mismatch = match_checks(dirs, out);
  EXPECT_EQ(mismatch, "") << path;
  // The output is canonical: it parses back to itself.
  ir::Kernel again;
  ASSERT_TRUE(ir::parse(out, &again));
  EXPECT_EQ(ir::print(again), out);
}

INSTANTIATE_TEST_SUITE_P(Files, Golden, ::testing::ValuesIn(golden_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// The matcher itself must be able to fail.
TEST(CheckMatcher, Basics) {
  const std::string out = "a one\nb two\nc three\n";
  auto run = [&](const std::string& spec) { return match_checks(parse_directives(spec), out); };
  EXPECT_EQ(run("// CHECK: one\n// CHECK-NEXT: two\n// CHECK-NOT: four\n"), "");
  EXPECT_NE(run("// CHECK: four\n"), "");
  EXPECT_NE(run("// CHECK: one\n// CHECK-NEXT: three\n"), "");
  EXPECT_NE(run("// CHECK: two\n// CHECK: one\n"), "");  // order matters
  EXPECT_NE(run("// CHECK: one\n// CHECK-NOT: two\n// CHECK: three\n"), "");
  EXPECT_EQ(run("// CHECK: one\n// CHECK-NOT: one\n// CHECK: three\n"), "");
  EXPECT_NE(run("// CHECK-NOT: three\n"), "");
  EXPECT_NE(run("// CHECK-NEXT: one\n"), "");
}

}  // namespace
}  // namespace fuze::testing
