// Fault injection switch (see fault.h).
#include "support/fault.h"

#include <cstdlib>
#include <mutex>

#include "support/log.h"

namespace fuze::support {

namespace detail {
std::atomic<uint32_t> g_fault_mask{kUnread};
}  // namespace detail

namespace {

constexpr unsigned kNumFaults = static_cast<unsigned>(Fault::kCount);
const char* const kNames[kNumFaults] = {"x86_emit",   "exec_mem",    "nvrtc_missing",
                                        "nvrtc_fail", "driver_load", "output_alloc"};

std::atomic<uint64_t> g_hits[kNumFaults];

// Parses "a,b" into a mask; false on an unknown name.
bool parse(const std::string& list, uint32_t* mask, std::string* error) {
  *mask = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string name = list.substr(pos, comma - pos);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    if (!name.empty() && name != "none") {
      bool found = false;
      for (unsigned i = 0; i < kNumFaults; ++i) {
        if (name == kNames[i]) {
          *mask |= 1u << i;
          found = true;
        }
      }
      if (!found) {
        if (error) {
          *error = "unknown fault '" + name + "' (known:";
          for (unsigned i = 0; i < kNumFaults; ++i) *error += std::string(" ") + kNames[i];
          *error += ")";
        }
        return false;
      }
    }
    pos = comma + 1;
  }
  return true;
}

// Reads FUZE_FAULT once (the first check or set_faults call).
void read_env_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    uint32_t mask = 0;
    std::string error;
    const char* env = std::getenv("FUZE_FAULT");
    if (env != nullptr && !parse(env, &mask, &error)) {
      FUZE_LOG(kWarn) << "FUZE_FAULT: " << error << "; no fault injected";
      mask = 0;
    }
    // Only replace the "unread" marker: a set_faults() that raced ahead wins.
    uint32_t expected = detail::kUnread;
    detail::g_fault_mask.compare_exchange_strong(expected, mask);
    if (mask != 0) {
      FUZE_LOG(kWarn) << "fault injection on: " << env;
    }
  });
}

}  // namespace

const char* fault_name(Fault f) {
  const unsigned i = static_cast<unsigned>(f);
  return i < kNumFaults ? kNames[i] : "?";
}

bool set_faults(const std::string& list, std::string* error) {
  read_env_once();
  uint32_t mask = 0;
  if (!parse(list, &mask, error)) return false;
  detail::g_fault_mask.store(mask, std::memory_order_relaxed);
  return true;
}

std::string active_faults() {
  read_env_once();
  const uint32_t mask = detail::g_fault_mask.load(std::memory_order_relaxed);
  std::string out;
  for (unsigned i = 0; i < kNumFaults; ++i) {
    if (mask & (1u << i)) out += (out.empty() ? "" : ",") + std::string(kNames[i]);
  }
  return out;
}

uint64_t fault_hits(Fault f) {
  const unsigned i = static_cast<unsigned>(f);
  return i < kNumFaults ? g_hits[i].load(std::memory_order_relaxed) : 0;
}

void reset_fault_hits() {
  for (auto& h : g_hits) h.store(0, std::memory_order_relaxed);
}

namespace detail {

bool fault_slow(Fault f) {
  uint32_t mask = g_fault_mask.load(std::memory_order_relaxed);
  if (mask & kUnread) {
    read_env_once();
    mask = g_fault_mask.load(std::memory_order_relaxed);
  }
  const unsigned i = static_cast<unsigned>(f);
  if (i >= kNumFaults || !(mask & (1u << i))) return false;
  if (g_hits[i].fetch_add(1, std::memory_order_relaxed) == 0) {
    FUZE_LOG(kInfo) << "injected fault " << kNames[i];
  }
  return true;
}

}  // namespace detail

}  // namespace fuze::support
