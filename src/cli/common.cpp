// The options and helpers shared by `fuze run`, `bench`, `profile` and `dump`.
#include "cli/common.h"

#include <ATen/Parallel.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <sstream>

#include "cli/commands.h"
#include "cli/tensor_file.h"

namespace fuze::cli {

bool parse_shape(const std::string& text, std::vector<int64_t>* out) {
  out->clear();
  if (text == "scalar") return true;
  if (text.empty()) return false;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    if (part.empty() || part.size() > 12 || part.find_first_not_of("0123456789") != std::string::npos) return false;
    out->push_back(std::stoll(part));
  }
  return !text.empty() && text.back() != 'x';
}

bool parse_uint(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  *out = std::stoull(text);
  return true;
}

bool parse_positive_double(const std::string& text, double* out) {
  if (text.empty() || text.size() > 30 || text.find_first_not_of("0123456789.e+-") != std::string::npos) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0' || !std::isfinite(v) || v <= 0.0) return false;
  *out = v;
  return true;
}

bool parse_common_arg(int argc, char** argv, int* i, const char* cmd, CommonArgs* a, std::string* err) {
  const std::string arg = argv[*i];
  auto value = [&](std::string* out) -> bool {
    if (*i + 1 >= argc) return false;
    *out = argv[++*i];
    return true;
  };
  std::string v;
  if (arg == "--input") {
    std::vector<int64_t> shape;
    if (!value(&v)) {
      *err = "--input needs a shape such as 3x4";
    } else if (!parse_shape(v, &shape)) {
      *err = "bad --input shape '" + v + "' (expected e.g. 3x4, 10x3x4 or scalar)";
    } else {
      a->shapes.push_back(shape);
    }
  } else if (arg == "--inputs") {
    if (!value(&a->inputs_file)) *err = "--inputs needs a file written by torch.save([...])";
  } else if (arg == "--seed") {
    if (!value(&v) || !parse_uint(v, &a->seed)) *err = "--seed needs a non-negative integer";
  } else if (arg == "--backend") {
    if (!value(&v) || !parse_backend(v, &a->backend)) *err = "--backend needs one of interp, x86, cuda";
    a->have_backend = true;
  } else if (arg == "--threads") {
    uint64_t t = 0;
    if (!value(&v) || !parse_uint(v, &t) || t > 1024) *err = "--threads needs a number (0: torch's default)";
    a->threads = static_cast<int>(t);
  } else if (!arg.empty() && arg[0] != '-' && a->model.empty()) {
    a->model = arg;
  } else {
    return false;
  }
  (void)cmd;
  return true;
}

std::string unknown_arg(const std::string& arg, const char* cmd) {
  if (!arg.empty() && arg[0] == '-') return "unknown option '" + arg + "' (try fuze " + cmd + " --help)";
  return "unexpected argument '" + arg + "'";
}

std::string check_common(const CommonArgs& a, const char* cmd) {
  if (a.model.empty()) return std::string("no model given (usage: fuze ") + cmd + " model.pt --input 3x4 ...)";
  if (!a.shapes.empty() && !a.inputs_file.empty()) return "give either --input shapes or --inputs, not both";
  return "";
}

const char* common_help() {
  return "  --input SHAPE     one random input of that shape (3x4, 10x3x4, scalar); repeat per input\n"
         "  --seed S          seed of the random inputs (default 0)\n"
         "  --inputs FILE     inputs from a file written by Python's torch.save: a list or\n"
         "                    tuple of tensors (any length), or one tensor\n"
         "  --backend B       interp, x86 or cuda (default: x86 where available)\n"
         "  --threads N       threads per kernel launch (default: torch's)\n";
}

std::string env_help(const std::string& cmd) {
  std::string s =
      "\nEnvironment:\n"
      "  FUZE_BACKEND=B        default backend: interp, x86 or cuda (--backend overrides it)\n"
      "  FUZE_REDUCTIONS=0     do not fuse reductions (softmax, layer_norm, sum, mean...) with their\n"
      "                        neighbours; =1 also runs them on CUDA tensors (not yet run on a GPU)\n"
      "  FUZE_X86_ISA=L        caps the x86 backend's instruction set: sse, avx2 or avx512\n"
      "                        (default: the best this CPU has; fuze --version lists them)\n"
      "  FUZE_LOG=L            log level on stderr: error, warn (default), info, debug, trace,\n"
      "                        or 0-4; info logs each compile and the first fallback of each reason\n"
      "  FUZE_DUMP=asm,cuda    print each kernel's x86 assembly (asm) or CUDA source (cuda) on\n"
      "                        stderr as it compiles\n"
      "  FUZE_CLI_IN_PROCESS=1 run in fuze's own process instead of a child (no crash isolation;\n"
      "                        for a debugger)\n"
      "  FUZE_FAULT=LIST       inject failures, for tests: x86_emit, exec_mem, nvrtc_missing,\n"
      "                        nvrtc_fail, driver_load, output_alloc (comma-separated)\n"
      "  FUZE_NVRTC_PATH=F     cuda backend: the libnvrtc to try first\n"
      "  FUZE_CUDA_DRIVER_PATH=F  cuda backend: the driver library (default libcuda.so.1)\n"
      "  FUZE_CACHE_DIR=D      cuda backend: on-disk kernel cache (default $XDG_CACHE_HOME/fuze,\n"
      "                        else ~/.cache/fuze)\n"
      "  FUZE_CUDA_DISK_CACHE=0  cuda backend: no on-disk kernel cache\n"
      "  FUZE_OUTPUT_CACHE_MB=N  MiB of freed large CPU outputs (>= 4 MiB) kept for reuse\n"
      "                        (default 256; 0: none)\n";
  if (cmd == "bench") {
    s += "  FUZE_PYTHON=P         the Python 3 with matplotlib that --plot runs (default " FUZE_DEFAULT_PYTHON ")\n";
  } else if (cmd == "dump") {
    s += "  (--what asm sets FUZE_DUMP=asm itself and hides the backend's copy on stderr, unless\n"
         "  FUZE_DUMP or FUZE_LOG is set)\n";
  }
  return s;
}

std::string check_writable(const std::string& path, const char* option) {
  auto error = [&](int err) {
    return "cannot write '" + path + "' (" + option + "): " + std::strerror(err);
  };
  if (path.empty()) return std::string(option) + " needs a file name";
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return error(EISDIR);
    const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);  // no truncation: the run may still fail
    if (fd < 0) return error(errno);
    close(fd);
    return "";
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return error(errno);
  close(fd);
  unlink(path.c_str());
  return "";
}

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  }
  return false;
}

void apply_fuze_options(const CommonArgs& a) {
  Options opt = default_options();
  if (a.have_backend) {
    std::unique_ptr<Backend> probe;
    Status st = make_backend(a.backend, &probe);
    TORCH_CHECK(st, "backend ", backend_name(a.backend), " is not available: ", st.message());
    opt.backend = a.backend;
  }
  opt.num_threads = a.threads;
  set_options(opt);
}

Inputs make_inputs(const CommonArgs& a) {
  Inputs in;
  if (!a.inputs_file.empty()) {
    set_stage("reading the inputs '" + a.inputs_file + "'");
    in.values = load_tensor_file(a.inputs_file);
    set_stage("running '" + a.model + "'");
    in.text = a.inputs_file;
    return in;
  }
  torch::manual_seed(a.seed);
  for (const auto& s : a.shapes) {
    in.values.emplace_back(torch::rand(s));
    std::string t;
    for (size_t d = 0; d < s.size(); ++d) t += (d ? "x" : "") + std::to_string(s[d]);
    in.text += (in.text.empty() ? "" : " ") + (s.empty() ? std::string("scalar") : t);
  }
  in.text += " (random, seed " + std::to_string(a.seed) + ")";
  return in;
}

std::vector<torch::jit::IValue> clone_inputs(const std::vector<torch::jit::IValue>& v) {
  std::vector<torch::jit::IValue> c;
  c.reserve(v.size());
  for (const auto& e : v) c.push_back(e.isTensor() ? torch::jit::IValue(e.toTensor().clone()) : e);
  return c;
}

void flatten(const torch::jit::IValue& v, std::vector<at::Tensor>* out) {
  if (v.isTensor()) {
    out->push_back(v.toTensor());
  } else if (v.isTuple()) {
    for (const auto& e : v.toTupleRef().elements()) flatten(e, out);
  } else if (v.isList()) {
    for (const auto& e : v.toListRef()) flatten(e, out);
  }
}

std::string shape_text(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
  return s + "]";
}

uint64_t hash_tensor(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  const auto* p = static_cast<const unsigned char*>(c.data_ptr());
  const size_t n = static_cast<size_t>(c.numel()) * c.element_size();
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
  if (a.numel() == 0) return 0.0;
  at::Tensor x = a.to(at::kDouble), y = b.to(at::kDouble);
  at::Tensor same = (x == y).logical_or(x.isnan().logical_and(y.isnan()));
  at::Tensor d = (x - y).abs().masked_fill(same, 0.0).nan_to_num(std::numeric_limits<double>::infinity());
  return d.max().item<double>();
}

double max_output_diff(const torch::jit::IValue& a, const torch::jit::IValue& b) {
  std::vector<at::Tensor> xs, ys;
  flatten(a, &xs);
  flatten(b, &ys);
  if (xs.size() != ys.size()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (size_t i = 0; i < xs.size(); ++i) worst = std::max(worst, max_diff(xs[i], ys[i]));
  return worst;
}

namespace {

int count_fused(const torch::jit::Block* block) {
  int n = 0;
  for (const torch::jit::Node* node : block->nodes()) {
    if (is_fusion_group(node)) {
      for (const torch::jit::Node* inner : node->g(c10::attr::Subgraph)->nodes()) {
        n += is_elementwise_kind(inner->kind()) || is_reduction_kind(inner->kind());
      }
    }
    for (const torch::jit::Block* sub : node->blocks()) n += count_fused(sub);
  }
  return n;
}

}  // namespace

void print_fallback_reasons(const char* indent) {
  const auto reasons = fallback_reasons();
  if (reasons.empty()) return;
  std::printf("fallback reasons:\n");
  for (const auto& [why, calls] : reasons) {
    std::printf("%s%llu x %s\n", indent, static_cast<unsigned long long>(calls), why.c_str());
  }
}

Coverage fusion_coverage(const Module& m) {
  Coverage c;
  c.fused = count_fused(m.graph()->block());
  c.unfused = static_cast<int>(unfused_nodes(*m.graph()).size());
  return c;
}

namespace {

// An error raised inside TorchScript's interpreter reads "The following
// operation failed in the TorchScript interpreter.", a TorchScript traceback,
// then the error itself ("RuntimeError: The size of tensor a ..."): its last
// line is the one to show. Other messages keep their first line (fail()).
std::string error_line(const std::string& message) {
  if (message.rfind("The following operation failed in the TorchScript interpreter", 0) != 0) return message;
  size_t end = message.find_last_not_of("\n ");
  if (end == std::string::npos) return message;
  size_t begin = message.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return message.substr(begin, end - begin + 1);
}

}  // namespace

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const c10::Error& e) {
    return fail(error_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return fail(error_line(e.what()));
  }
}

int fail(const std::string& message) {
  std::string line = message.substr(0, message.find('\n'));
  std::cerr << "fuze: " << line << std::endl;
  return 1;
}

// ---- crash isolation -------------------------------------------------------

namespace {

constexpr size_t kStageBytes = 4096;
char* g_stage = nullptr;  // a page shared with the parent; null when not isolated
volatile pid_t g_child = 0;
volatile sig_atomic_t g_forwarded = 0;

// The parent passes termination signals on to the child (which has its own
// copy of the model command) and then ends the same way once it is gone.
void forward_signal(int sig) {
  g_forwarded = sig;
  if (g_child > 0) kill(g_child, sig);
}

// Signals that mean "stop" from outside (Ctrl-C, timeout, a closed pipe): the
// parent ends by the same signal, silently, as a plain process would.
bool is_termination(int sig) {
  return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT || sig == SIGPIPE;
}

}  // namespace

void set_stage(const std::string& what) {
  if (g_stage == nullptr) return;
  std::snprintf(g_stage, kStageBytes, "%s", what.c_str());
}

Module load_model(const std::string& path) {
  set_stage("loading '" + path + "'");
  Module m = load(path);
  set_stage("running '" + path + "'");
  return m;
}

torch::jit::Module load_plain(const std::string& path) {
  set_stage("loading '" + path + "'");
  torch::jit::Module m = torch::jit::load(path);
  set_stage("running '" + path + "'");
  return m;
}

int run_isolated(int (*command)(int, char**), int argc, char** argv) {
  const char* in_process = std::getenv("FUZE_CLI_IN_PROCESS");
  if (in_process != nullptr && std::strcmp(in_process, "1") == 0) return command(argc, argv);
  void* page = mmap(nullptr, kStageBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return command(argc, argv);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {  // no fork (limits): run here, unprotected
    munmap(page, kStageBytes);
    return command(argc, argv);
  }
  if (pid == 0) {
    g_stage = static_cast<char*>(page);
    set_stage("starting");
    std::exit(command(argc, argv));  // as returning from main: flushes stdio, runs atexit
  }
  g_child = pid;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  const std::string stage(static_cast<const char*>(page), strnlen(static_cast<const char*>(page), kStageBytes));
  munmap(page, kStageBytes);
  if (r < 0) return fail(std::string("lost the command's process: ") + std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (!WIFSIGNALED(status)) return fail("the command's process ended abnormally");
  const int sig = WTERMSIG(status);
  if (g_forwarded != 0 || is_termination(sig)) {
    const int again = g_forwarded != 0 ? static_cast<int>(g_forwarded) : sig;
    std::signal(again, SIG_DFL);
    std::raise(again);
    return 128 + again;
  }
  const char* name = strsignal(sig);
  const std::string what = "signal " + std::to_string(sig) + ", " + (name ? name : "unknown");
  if (stage.rfind("loading ", 0) == 0) {
    fail("cannot load " + stage.substr(8) + ": TorchScript's loader crashed on it (" + what +
         "); the file is corrupt or not a TorchScript model");
  } else {
    fail("crashed (" + what + ") while " + stage + "; the model file may be corrupt");
  }
  return kCrashExit;
}

}  // namespace fuze::cli
