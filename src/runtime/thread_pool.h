// A small process-wide pool of worker threads for launch().
#pragma once

#include <functional>

namespace fuze::runtime {

class ThreadPool {
 public:
  // The process-wide pool; grows (never shrinks) to at least `workers` threads.
  static ThreadPool& global(int workers);
  // Queues a task. Tasks must not block waiting on other tasks.
  void submit(std::function<void()> task);
  int size() const;
  // True on a pool worker thread (a launch from there runs inline).
  static bool on_worker();

 private:
  ThreadPool() = default;
  void grow(int workers);
  struct Impl;
  Impl* impl_ = nullptr;
};

}  // namespace fuze::runtime
