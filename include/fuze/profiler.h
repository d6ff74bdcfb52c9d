// A small profiler over at::RecordFunction: while started, it records on the
// calling thread every aten op the dispatcher runs, every fused kernel call
// (the fusion group op wraps its kernel in RECORD_FUNCTION("fused_<ops>")),
// every fallback ("fuze_fallback...") and any user scope, with steady-clock
// timestamps, nesting depth and the inputs' dtypes and shapes. `fuze profile`
// turns the events into a table and a Chrome trace.
//
//   fuze::Profiler p;
//   p.start();
//   module.forward(inputs);
//   p.stop();
//   for (const auto& e : p.events()) ...
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fuze {

struct ProfileEvent {
  std::string name;                 // "aten::linear", "fused_sigmoid_tanh_mul", "fuze_fallback..."
  int64_t start_ns = 0;             // Profiler::now_ns() clock
  int64_t end_ns = 0;               // == start_ns while still open
  int depth = 0;                    // enclosing recorded events, TorchScript frames not counted
  bool frame = false;               // a TorchScript function frame ("forward"), not an op
  uint64_t thread_id = 0;           // RecordFunction's thread id
  std::vector<std::string> inputs;  // per input: "f32[3, 8]", "scalar", "int", "" (other)
};

// Kind of an event by its name.
bool is_fused_event(const std::string& name);     // "fused_..."
bool is_fallback_event(const std::string& name);  // "fuze_fallback..."

class Profiler {
 public:
  Profiler();
  ~Profiler();  // stops if running
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Starts recording on the calling thread (one profiler per thread at a time).
  void start();
  void stop();
  bool running() const;
  // Events in start order.
  const std::vector<ProfileEvent>& events() const;
  void clear();

  // The clock of the events (steady_clock, nanoseconds).
  static int64_t now_ns();

  struct State;  // the recording state (profiler.cpp)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace fuze
