// `fuze bench --plot`: finding and running scripts/bench_report.py (plot.h).
#include "cli/plot.h"

#include <c10/util/Exception.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace fuze::cli {

namespace {

// The directory of the running executable ("" when /proc/self/exe is unreadable).
std::string exe_dir() {
  std::vector<char> buf(4096);
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "";
  std::string path(buf.data(), static_cast<size_t>(n));
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool readable_file(const std::string& path) { return access(path.c_str(), R_OK) == 0; }

// Runs argv (no shell), its stdout and stderr captured together into *output.
// Returns the exit status, or -1 when it could not be started (errno-style
// reason in *output), 128 + signal when killed.
int run_program(const std::vector<std::string>& argv, std::string* output) {
  output->clear();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *output = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  int exec_err[2];  // reports an exec failure from the child
  if (pipe2(exec_err, O_CLOEXEC) != 0) {
    close(fds[0]);
    close(fds[1]);
    *output = std::string("pipe: ") + std::strerror(errno);
    return -1;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    *output = std::string("fork: ") + std::strerror(errno);
    for (int fd : {fds[0], fds[1], exec_err[0], exec_err[1]}) close(fd);
    return -1;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());  // FUZE_PYTHON may be a bare name such as python3
    const int err = errno;
    ssize_t ignored = write(exec_err[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  close(fds[1]);
  close(exec_err[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    output->append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int err = 0;
  const bool exec_failed = read(exec_err[0], &err, sizeof err) == static_cast<ssize_t>(sizeof err);
  close(exec_err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (exec_failed) {
    *output = std::strerror(err);
    return -1;
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The last non-empty line of a program's output.
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n\r ");
  if (end == std::string::npos) return "";
  size_t begin = text.rfind('\n', end);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, end - begin + 1);
}

}  // namespace

std::string find_plot_tool(PlotTool* out) {
  const char* env = std::getenv("FUZE_PYTHON");
  out->python = env != nullptr && *env != '\0' ? env : FUZE_DEFAULT_PYTHON;
  const std::string dir = exe_dir();
  const std::string beside = dir + "/bench_report.py";
  const std::string installed = dir + "/" FUZE_SHARE_FROM_BIN "/bench_report.py";
  if (readable_file(beside)) {
    out->script = beside;
  } else if (readable_file(installed)) {
    out->script = installed;
  } else {
    return "--plot needs bench_report.py, not found at " + beside + " nor " + installed +
           " (rebuild or reinstall fuze)";
  }
  std::string output;
  const int rc = run_program({out->python, "-c", "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"},
                             &output);
  if (rc == -1) {
    return "--plot needs Python 3 with matplotlib: cannot run '" + out->python + "': " + output +
           " (set FUZE_PYTHON to a Python 3 that has matplotlib)";
  }
  if (rc != 0) {
    return "--plot needs matplotlib, and '" + out->python +
           "' cannot import it (apt-get install python3-matplotlib, or set FUZE_PYTHON to a Python 3 that has it)";
  }
  return "";
}

std::string draw_plot(const PlotTool& tool, const std::string& json, const std::string& png) {
  std::string output;
  const int rc = run_program({tool.python, tool.script, "--png", png, json}, &output);
  if (rc == -1) return "cannot run '" + tool.python + "' for --plot: " + output;
  if (rc != 0) {
    const std::string why = last_line(output);
    return "--plot: " + tool.script + " failed (exit " + std::to_string(rc) + ")" + (why.empty() ? "" : ": " + why);
  }
  if (!readable_file(png)) return "--plot: " + tool.script + " exited 0 but wrote no '" + png + "'";
  return "";
}

TempFile::~TempFile() {
  if (!path_.empty()) unlink(path_.c_str());
}

std::string TempFile::create(const std::string& prefix, const std::string& suffix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "XXXXXX" + suffix;
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  const int fd = mkstemps(buf.data(), static_cast<int>(suffix.size()));
  TORCH_CHECK(fd >= 0, "cannot create a temporary file ", pattern, ": ", std::strerror(errno));
  close(fd);
  path_ = buf.data();
  return path_;
}

}  // namespace fuze::cli
