// Logging: FUZE_LOG=<level> in the environment (error, warn, info, debug,
// trace; or 0-4), in the spirit of PYTORCH_JIT_LOG_LEVEL. Default: warn.
// Lines go to stderr as "[fuze info] message".
//
//   FUZE_LOG(kInfo) << "compiled " << name << " in " << us << " us";
#pragma once

#include <sstream>

namespace fuze {

enum class LogLevel : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };

LogLevel log_level();              // read once from FUZE_LOG
void set_log_level(LogLevel level);  // overrides the environment (tests, CLI -v)
bool log_enabled(LogLevel level);
const char* log_level_name(LogLevel level);

class LogLine {
 public:
  explicit LogLine(LogLevel level) : level_(level) {}
  ~LogLine();  // writes the whole line at once (thread-safe)
  template <class T>
  LogLine& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

// One expression (no if/else, so no dangling else when the macro follows a
// bare `if`): the line is built only when its level is enabled. operator&
// binds after every <<, so the whole line is one LogLine, ended by ';'.
struct LogVoidify {
  void operator&(const LogLine&) const {}
};

}  // namespace fuze

#define FUZE_LOG(level) \
  !::fuze::log_enabled(::fuze::LogLevel::level) ? (void)0 : ::fuze::LogVoidify() & ::fuze::LogLine(::fuze::LogLevel::level)
