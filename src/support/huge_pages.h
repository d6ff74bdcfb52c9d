// Large fresh buffers without the 4 KiB page-fault tax.
#pragma once

#include <cstddef>

namespace fuze::support {

// Buffers at least this large get transparent huge pages (advise_huge_pages).
constexpr size_t kHugePageThreshold = size_t{4} << 20;

// Asks the kernel to back the 2 MiB-aligned interior of [p, p + bytes) with
// transparent huge pages (madvise MADV_HUGEPAGE), before it is first written:
// a fresh 64 MiB output then takes 32 page faults instead of 16,384, which cost
// more than the kernel's work at 16M floats. A no-op below kHugePageThreshold,
// where THP is off ("never"), or off Linux; never fails.
void advise_huge_pages(void* p, size_t bytes);

}  // namespace fuze::support
