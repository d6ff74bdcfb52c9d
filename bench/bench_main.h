// The benchmark binaries' shared main() (bench_main.cpp) calls this: each
// binary registers its benchmarks at run time.
#pragma once

void register_benchmarks();
