// Test helper: a kernel compiled by the interpreter, the test failing (with
// the IR) when it does not compile.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "backends/interp/interp_backend.h"
#include "fuze/ir/kernel.h"

namespace fuze::testing {

inline std::unique_ptr<CompiledKernel> compile_or_die(const ir::Kernel& k) {
  std::unique_ptr<Backend> be;
  EXPECT_TRUE(make_interp_backend(&be));
  std::unique_ptr<CompiledKernel> ck;
  Status s = be->compile(k, &ck);
  EXPECT_TRUE(s) << s.message() << "\n" << ir::print(k);
  return ck;
}

}  // namespace fuze::testing
