// The RecordFunction observer behind Profiler (profiler.h).
#include "fuze/profiler.h"

#include <ATen/record_function.h>
#include <c10/util/Exception.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

namespace fuze {

struct Profiler::State {
  std::vector<ProfileEvent> events;
  std::unordered_map<std::string, size_t> num_args;  // by op name, from the schema
  int depth = 0;
  at::CallbackHandle handle = at::INVALID_CALLBACK_HANDLE;
};

namespace {

// The profiler recording on this thread (callbacks are function pointers).
thread_local Profiler::State* t_active = nullptr;

struct EventContext : at::ObserverContext {
  EventContext(size_t i, bool f) : index(i), frame(f) {}
  size_t index;
  bool frame;
};

const char* short_dtype(c10::ScalarType t) {
  switch (t) {
    case c10::ScalarType::Float: return "f32";
    case c10::ScalarType::Double: return "f64";
    case c10::ScalarType::Half: return "f16";
    case c10::ScalarType::BFloat16: return "bf16";
    case c10::ScalarType::Long: return "i64";
    case c10::ScalarType::Int: return "i32";
    case c10::ScalarType::Bool: return "bool";
    case c10::ScalarType::Byte: return "u8";
    default: return c10::toString(t);
  }
}

std::string describe(const c10::IValue& v) {
  if (v.isTensor()) {
    const at::Tensor& t = v.toTensor();
    if (!t.defined()) return "undefined";
    std::string s = short_dtype(t.scalar_type());
    s += "[";
    for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
    return s + "]";
  }
  if (v.isDouble()) return "scalar";
  if (v.isInt()) return "int";
  if (v.isBool()) return "bool";
  if (v.isNone()) return "none";
  return "";
}

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  Profiler::State* st = t_active;
  if (st == nullptr) return nullptr;
  ProfileEvent e;
  e.name = fn.name();
  // The interpreter records each function frame it enters (the model's
  // forward itself): kept as events, but transparent for the depth.
  e.frame = fn.scope() == at::RecordScope::TORCHSCRIPT_FUNCTION;
  e.depth = e.frame ? st->depth : st->depth++;
  e.thread_id = fn.threadId();
  // Boxed calls from the interpreter pass the whole interpreter stack as
  // inputs (libtorch 1.13): keep the last n, n from the op's schema.
  c10::ArrayRef<const c10::IValue> in = fn.inputs();
  if (!e.frame) {
    auto it = st->num_args.find(e.name);
    if (it == st->num_args.end()) {
      size_t n = in.size();
      if (auto op = fn.operator_name()) {
        if (auto h = c10::Dispatcher::singleton().findSchema(*op)) n = h->schema().arguments().size();
      }
      it = st->num_args.emplace(e.name, n).first;
    }
    if (in.size() > it->second) in = in.slice(in.size() - it->second);
  }
  for (const c10::IValue& v : in) e.inputs.push_back(describe(v));
  e.start_ns = e.end_ns = Profiler::now_ns();
  st->events.push_back(std::move(e));
  return std::make_unique<EventContext>(st->events.size() - 1, st->events.back().frame);
}

void on_end(const at::RecordFunction& /*fn*/, at::ObserverContext* ctx) {
  Profiler::State* st = t_active;
  if (st == nullptr || ctx == nullptr) return;
  const auto* c = static_cast<EventContext*>(ctx);
  if (c->index < st->events.size()) st->events[c->index].end_ns = Profiler::now_ns();
  if (!c->frame && st->depth > 0) --st->depth;
}

}  // namespace

bool is_fused_event(const std::string& name) { return name.rfind("fused_", 0) == 0; }
bool is_fallback_event(const std::string& name) { return name.rfind("fuze_fallback", 0) == 0; }

Profiler::Profiler() : state_(std::make_unique<State>()) {}

Profiler::~Profiler() { stop(); }

void Profiler::start() {
  if (running()) return;
  TORCH_CHECK(t_active == nullptr, "fuze profiler: another profiler is already recording on this thread");
  state_->depth = 0;
  t_active = state_.get();
  state_->handle = at::addThreadLocalCallback(at::RecordFunctionCallback(on_start, on_end).needsInputs(true));
}

void Profiler::stop() {
  if (!running()) return;
  at::removeCallback(state_->handle);
  state_->handle = at::INVALID_CALLBACK_HANDLE;
  if (t_active == state_.get()) t_active = nullptr;
}

bool Profiler::running() const { return state_->handle != at::INVALID_CALLBACK_HANDLE; }

const std::vector<ProfileEvent>& Profiler::events() const { return state_->events; }

void Profiler::clear() { state_->events.clear(); }

int64_t Profiler::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace fuze
