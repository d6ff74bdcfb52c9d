#include "support/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fuze/support/status.h"

namespace fuze {
namespace {

LogLevel parse_level(const char* text) {
  if (text == nullptr || *text == '\0') return LogLevel::kWarn;
  static const char* kNames[] = {"error", "warn", "info", "debug", "trace"};
  for (int i = 0; i < 5; ++i) {
    if (std::strcmp(text, kNames[i]) == 0) return static_cast<LogLevel>(i);
  }
  if (text[0] >= '0' && text[0] <= '4' && text[1] == '\0') return static_cast<LogLevel>(text[0] - '0');
  std::fprintf(stderr, "[fuze warn] FUZE_LOG=%s not understood; use error|warn|info|debug|trace\n", text);
  return LogLevel::kWarn;
}

std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(parse_level(std::getenv("FUZE_LOG")))};
  return level;
}

}  // namespace

LogLevel log_level() { return static_cast<LogLevel>(level_storage().load(std::memory_order_relaxed)); }
void set_log_level(LogLevel level) { level_storage().store(static_cast<int>(level)); }
bool log_enabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(log_level()); }

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "?";
}

LogLine::~LogLine() {
  std::string line = std::string("[fuze ") + log_level_name(level_) + "] " + stream_.str() + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kError: return "error";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kCompileFailed: return "compile failed";
    case StatusCode::kOutOfCodeMemory: return "out of code memory";
    case StatusCode::kInvalidIr: return "invalid IR";
  }
  return "?";
}

void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "fuze internal error at %s:%d: check '%s' failed: %s\n", file, line, cond, msg.c_str());
  std::abort();
}

}  // namespace fuze
