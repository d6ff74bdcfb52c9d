// What the `fuze` subcommands share: the model/input options of `fuze run`
// (--input SHAPE ... | --inputs FILE, --seed, --backend, --threads), making
// the input values, loading torch.save'd inputs, output comparison helpers,
// and turning exceptions into the one-line error of fail().
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "fuze/fuze.h"

namespace fuze::cli {

// The options every model command takes, parsed exactly as `fuze run` does.
struct CommonArgs {
  std::string model;
  std::vector<std::vector<int64_t>> shapes;  // one per --input
  std::string inputs_file;                   // --inputs
  uint64_t seed = 0;
  bool have_backend = false;
  BackendKind backend = BackendKind::kInterp;
  int threads = 0;  // 0: torch's default
};

// Reads argv[i] (and its value, advancing i) when it is one of the common
// options or the positional model path. Returns true when consumed; sets *err
// on a malformed value. `cmd` names the command in messages ("run").
bool parse_common_arg(int argc, char** argv, int* i, const char* cmd, CommonArgs* a, std::string* err);
// Unknown-option / extra-argument message for argv[i] that no parser took.
std::string unknown_arg(const std::string& arg, const char* cmd);
// Checks a model was given and --input / --inputs are not mixed ("" when fine).
std::string check_common(const CommonArgs& a, const char* cmd);
// The help lines of the common options.
const char* common_help();
// The "Environment:" block of a command's --help: every FUZE_* variable that
// changes what the command does (tests/cli/env_help_test.sh checks that each
// variable the sources read is listed). `cmd` adds the command's own ones.
std::string env_help(const std::string& cmd);

// "" when `path` can be written as an output file (checked by creating it if
// missing, then removing it again), else the one-line reason: "cannot write
// 'x.json' (--json): No such file or directory". Commands check their output
// paths with it before they run anything long.
std::string check_writable(const std::string& path, const char* option);

// Takes the next argv value as a number; false when missing or malformed.
bool parse_uint(const std::string& text, uint64_t* out);
bool parse_positive_double(const std::string& text, double* out);
// "3x4" -> {3, 4}; "scalar" -> {} (a 0-dim tensor).
bool parse_shape(const std::string& text, std::vector<int64_t>* out);

// True when any argument is --help or -h.
bool wants_help(int argc, char** argv);

// Applies --backend / --threads to fuze's options (throws c10::Error with a
// clear message when the backend is not available here).
void apply_fuze_options(const CommonArgs& a);

struct Inputs {
  std::vector<torch::jit::IValue> values;
  std::string text;  // "3x4 3x4 (random, seed 0)" or the file name
};
// Random inputs from the shapes (torch::rand after manual_seed(seed)) or the
// values of the --inputs file.
Inputs make_inputs(const CommonArgs& a);
// Fresh copies (tensors cloned) so in-place models see the same inputs each call.
std::vector<torch::jit::IValue> clone_inputs(const std::vector<torch::jit::IValue>& v);

// The tensors of a (nested) output, in order.
void flatten(const torch::jit::IValue& v, std::vector<at::Tensor>* out);
std::string shape_text(const at::Tensor& t);  // "[3, 4]"
// FNV-1a over the tensor's elements in row-major order.
// (Called qualified: torch 2.x has an at::hash_tensor that ADL also finds.)
uint64_t hash_tensor(const at::Tensor& t);
// max |a - b|, equal values (also equal infinities, both NaN) counting as 0.
double max_diff(const at::Tensor& a, const at::Tensor& b);
// Max difference over the flattened outputs (infinity when counts differ).
double max_output_diff(const torch::jit::IValue& a, const torch::jit::IValue& b);

// Elementwise nodes inside fusion groups (all blocks) and left outside them.
struct Coverage {
  int fused = 0;
  int unfused = 0;
  double percent() const { return fused + unfused ? 100.0 * fused / (fused + unfused) : 100.0; }
};
Coverage fusion_coverage(const Module& m);

// Prints "fallback reasons:" and one "<indent><calls> x <reason>" line per
// reason counted since the last reset_stats() (nothing when there were none).
void print_fallback_reasons(const char* indent);

// Runs body(); a c10::Error or std::exception becomes fail(message).
int guarded(const std::function<int()>& body);

// The entry every model command shares: --help prints `help`; `parse` fills
// the arguments (an error becomes one `fuze:` line, exit 1); then `prepare`
// (may be empty) runs, and `body` runs guarded, without autograd, with the
// common fuze options applied. Args has a CommonArgs `common`.
template <class Args>
int model_command(int argc, char** argv, void (*help)(), std::string (*parse)(int, char**, Args*),
                  const std::function<int(Args&)>& body, const std::function<void(const Args&)>& prepare = {}) {
  if (wants_help(argc, argv)) {
    help();
    return 0;
  }
  Args args;
  const std::string err = parse(argc, argv, &args);
  if (!err.empty()) return fail(err);
  if (prepare) prepare(args);
  return guarded([&] {
    torch::NoGradGuard no_grad;
    apply_fuze_options(args.common);
    return body(args);
  });
}

// ---- crash isolation -------------------------------------------------------
// A .pt file is untrusted input, and libtorch's own loader can crash on a
// corrupt one (2 of 600 mutated files did with 1.13). So main() runs every
// model command in a child process (fork) and only waits for it: stdout and
// stderr are the child's, its exit status is the command's, and when the child
// dies of a signal the parent prints one `fuze: ...` line naming what the
// child was doing (set_stage) and exits with kCrashExit. FUZE_CLI_IN_PROCESS=1
// runs the command in the process itself (for a debugger).
constexpr int kCrashExit = 3;
int run_isolated(int (*command)(int, char**), int argc, char** argv);
// Records what the command is doing ("loading 'm.pt'"), for the parent's
// message if the child crashes. A no-op when not isolated.
void set_stage(const std::string& what);
// fuze::load / torch::jit::load of the model, with the stage set around them.
Module load_model(const std::string& path);
torch::jit::Module load_plain(const std::string& path);

}  // namespace fuze::cli
