// Two error channels (DESIGN.md): bugs assert loudly (FUZE_CHECK); expected
// failures (unsupported op or dtype, codegen failure, out of executable memory,
// a bad file) are Status values that lead to a fallback or a clear message.
#pragma once

#include <string>
#include <utility>

namespace fuze {

class Status {
 public:
  Status() = default;  // ok
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message), true); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, bool failed) : message_(std::move(message)), failed_(failed) {}
  std::string message_;
  bool failed_ = false;
};

[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);

}  // namespace fuze

// Returns early with the Status of `expr` when it failed.
#define FUZE_TRY(expr)                       \
  do {                                       \
    ::fuze::Status fuze_try_status_ = (expr); \
    if (!fuze_try_status_) return fuze_try_status_; \
  } while (0)

// Internal invariant: a failure is a bug in fuze; prints and aborts.
#define FUZE_CHECK(cond, msg)                                          \
  do {                                                                 \
    if (!(cond)) ::fuze::check_failed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
