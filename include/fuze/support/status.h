// Two error channels (DESIGN.md): bugs assert loudly (FUZE_CHECK); expected
// failures (unsupported op or dtype, codegen failure, out of executable memory,
// a bad file) are Status values that lead to a fallback or a clear message.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace fuze {

// What kind of failure a Status is: the runtime falls back quietly on
// kUnsupported (a backend lacks an op, dtype or layout: expected) and says so
// loudly on the others (a backend that should have compiled did not).
enum class StatusCode : uint8_t {
  kOk,
  kError,            // anything else (a bad file, a bad argument)
  kUnsupported,      // an op, dtype, layout or size this backend does not handle
  kUnavailable,      // the backend is not built in, or not usable on this machine
  kCompileFailed,    // code generation or the backend's compiler failed
  kOutOfCodeMemory,  // no executable memory for the code
  kInvalidIr,        // the kernel IR does not verify
};
const char* status_code_name(StatusCode code);

class Status {
 public:
  Status() = default;  // ok
  static Status ok() { return Status(); }
  static Status error(std::string message, StatusCode code = StatusCode::kError) {
    return Status(std::move(message), code == StatusCode::kOk ? StatusCode::kError : code);
  }
  static Status unsupported(std::string m) { return error(std::move(m), StatusCode::kUnsupported); }
  static Status unavailable(std::string m) { return error(std::move(m), StatusCode::kUnavailable); }
  static Status compile_failed(std::string m) { return error(std::move(m), StatusCode::kCompileFailed); }
  static Status out_of_code_memory(std::string m) { return error(std::move(m), StatusCode::kOutOfCodeMemory); }
  static Status invalid_ir(std::string m) { return error(std::move(m), StatusCode::kInvalidIr); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, StatusCode code) : message_(std::move(message)), code_(code) {}
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
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
