// Counters bumped by the runtime's own parts (cache, launch); see Stats in runtime.h.
#pragma once

namespace fuze::runtime::internal {

void count_hit();
void count_miss();
void count_compile(double us);
void count_compile_failure();
void count_eviction();

}  // namespace fuze::runtime::internal
