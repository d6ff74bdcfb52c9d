#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/runtime.h"
#include "runtime/thread_pool.h"

namespace fuze::runtime {

namespace {
thread_local bool t_on_worker = false;
std::atomic<ParallelFor> g_parallel_for{nullptr};

}  // namespace

void set_parallel_for(ParallelFor fn) { g_parallel_for.store(fn); }
ParallelFor parallel_for() { return g_parallel_for.load(); }

struct ThreadPool::Impl {
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  std::vector<std::thread> threads;  // detached at exit: the pool lives for the process

  void work() {
    t_on_worker = true;
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !queue.empty(); });
        task = std::move(queue.front());
        queue.pop_front();
      }
      task();
    }
  }
};

ThreadPool& ThreadPool::global(int workers) {
  static ThreadPool* pool = [] {
    auto* p = new ThreadPool();  // never destroyed: workers block forever on an empty queue
    p->impl_ = new Impl();
    return p;
  }();
  pool->grow(workers);
  return *pool;
}

void ThreadPool::grow(int workers) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  while (static_cast<int>(impl_->threads.size()) < workers) {
    impl_->threads.emplace_back([impl = impl_] { impl->work(); });
    impl_->threads.back().detach();
  }
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.push_back(std::move(task));
  }
  impl_->cv.notify_one();
}

int ThreadPool::size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->threads.size());
}

bool ThreadPool::on_worker() { return t_on_worker; }

namespace {
using Body = std::function<void(int64_t, int64_t)>;
void run_body(void* ctx, int64_t begin, int64_t end) { (*static_cast<const Body*>(ctx))(begin, end); }

// body over [0, n) in ranges of at least `grain`, on up to num_threads
// threads (the host's pool if one was installed, else fuze's own; the caller
// runs one range itself).
void parallel_ranges(int64_t n, int64_t grain, int num_threads, const Body& body) {
  if (ParallelFor host = g_parallel_for.load(std::memory_order_acquire)) {
    host(n, grain, num_threads, const_cast<Body*>(&body), run_body);
    return;
  }
  // Contiguous chunks of at least `grain`, one per thread; the caller runs the first.
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(num_threads, n / grain));
  const int64_t chunk = (n + chunks - 1) / chunks;
  ThreadPool& pool = ThreadPool::global(static_cast<int>(chunks) - 1);
  std::mutex mu;
  std::condition_variable done_cv;
  int64_t tasks = 0;
  for (int64_t c = 1; c < chunks && c * chunk < n; ++c) ++tasks;
  int64_t pending = tasks;  // guarded by mu once tasks are queued
  for (int64_t c = 1; c <= tasks; ++c) {
    const int64_t b = c * chunk;
    const int64_t e = std::min(n, b + chunk);
    pool.submit([&, b, e] {
      body(b, e);
      std::lock_guard<std::mutex> lock(mu);
      if (--pending == 0) done_cv.notify_one();
    });
  }
  body(0, std::min(n, chunk));
  std::unique_lock<std::mutex> lock(mu);
  done_cv.wait(lock, [&] { return pending == 0; });
}

// Runs `kernel` over [0, numel) of its own unit (elements, or rows).
void launch_units(const CompiledKernel& kernel, const KernelArgs& args, int64_t numel, int num_threads,
                  int64_t grain) {
  if (numel <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (num_threads <= 1 || numel < 2 * grain || ThreadPool::on_worker()) {
    kernel.run(args, 0, numel);
    return;
  }
  parallel_ranges(numel, grain, num_threads, [&](int64_t b, int64_t e) { kernel.run(args, b, e); });
}
}  // namespace

void launch(const CompiledKernel& kernel, const KernelArgs& args, int num_threads, int64_t grain) {
  launch_units(kernel, args, args.numel, num_threads, grain);
}

void launch_rows(const CompiledKernel& kernel, const KernelArgs& args, int reduce_rank, int num_threads,
                 int64_t grain) {
  int64_t rows = 1, row = 1;
  for (int d = 0; d < args.rank; ++d) (d < args.rank - reduce_rank ? rows : row) *= args.sizes[d];
  // Fewer rows than threads, each worth splitting (two grains at least):
  // each row's work in segments across the threads, when the kernel can.
  if (num_threads > 1 && rows > 0 && rows < num_threads && row >= 2 * std::max<int64_t>(grain, 1) &&
      !ThreadPool::on_worker()) {
    const CompiledKernel::SplitFor par = [&](int64_t n, const Body& body) { parallel_ranges(n, 1, num_threads, body); };
    if (kernel.run_split(args, 0, rows, num_threads, par)) return;
  }
  launch_units(kernel, args, rows, num_threads, std::max<int64_t>(1, grain / std::max<int64_t>(row, 1)));
}

}  // namespace fuze::runtime
