// Where a fusion group's CPU outputs live (issue 14: no page-fault tax).
//
// Two ways around the cost of fresh memory (with glibc's defaults every
// output of 32 MiB or more is a new mmap, and its first write faults it in
// 4 KiB at a time: 16,384 faults for 64 MiB, more time than the kernel):
//
//  * reuse_dying_input: a group writes its one output into an input buffer
//    that dies at the group (TorchScript moved its last use onto the stack:
//    the stack holds the only reference), so no memory is allocated at all;
//  * output_allocator: large outputs (>= support::kHugePageThreshold) come
//    from fuze's own allocator, 2 MiB-aligned and advised to huge pages; a
//    released buffer goes back to a small process-wide cache (at most
//    FUZE_OUTPUT_CACHE_MB MiB, default 256; 0 turns the cache off) and the
//    next output of the same byte size gets it already faulted in. Smaller
//    requests go to ATen's CPU allocator. Storages stay resizable.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Allocator.h>

#include <cstddef>

namespace fuze::frontend {

c10::Allocator* output_allocator();

// A CPU tensor of `sizes` (contiguous when `strides` is null) from output_allocator().
at::Tensor empty_output(c10::IntArrayRef sizes, const int64_t* strides, c10::ScalarType dtype);

// Whether `t` may become the output of a single-output group in place: no
// other reference to it or its storage (no view, no alias, not held by the
// caller), memory from ATen's CPU allocator or fuze's (never from_blob or
// shared memory, which may have owners outside the refcount), exactly the
// output's sizes, strides, dtype, offset 0 and size, no grad, not an
// inference tensor outside inference mode.
bool reusable_for_output(const at::Tensor& t, c10::IntArrayRef sizes, const int64_t* strides,
                         c10::ScalarType dtype);

// Counts one output written into a dying input.
void count_in_place();

// The cache's state, for tests and `fuze profile`.
struct OutputCacheStats {
  size_t cached_bytes = 0;  // free buffers held now
  size_t limit_bytes = 0;
  uint64_t reused = 0;      // large allocations served from the cache
  uint64_t fresh = 0;       // large allocations that took new memory
  uint64_t in_place = 0;    // outputs written into a dying input (count_in_place)
};
OutputCacheStats output_cache_stats();
// Frees every cached buffer (buffers in use return to the cache later).
void trim_output_cache();

}  // namespace fuze::frontend
