// fuze_mutant_runner LIST [JOBS] [TIMEOUT_S]: runs `fuze run FILE --input S ...`
// for each line "FILE S S ..." of LIST, JOBS at a time, each in its own forked
// process that calls the same code as the `fuze` binary (run_isolated(run_main)),
// so libtorch is loaded once instead of once per file. Prints one line per
// file: "INDEX<TAB>exit N|signal N|timeout<TAB>stderr with \n as \\n".
// mutants.py makes the files and judges the lines.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"

namespace {

struct Job {
  size_t index = 0;
  pid_t pid = -1;
  int err_fd = -1;
  std::string err;
  std::chrono::steady_clock::time_point start;
  bool timed_out = false;
};

pid_t start(const std::vector<std::string>& words, int* err_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(fds[1], 2);
    close(null_fd);
    close(fds[1]);
    setpgid(0, 0);  // a timeout kills the whole group (the command's own child too)
    std::vector<std::string> args = {"run"};
    args.insert(args.end(), words.begin(), words.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    const int rc = fuze::cli::run_isolated(fuze::cli::run_main, static_cast<int>(args.size()), argv.data());
    std::fflush(nullptr);
    _exit(rc);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return -1;
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  *err_fd = fds[0];
  return pid;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuze_mutant_runner LIST [JOBS] [TIMEOUT_S]\n");
    return 2;
  }
  const size_t jobs = argc > 2 ? static_cast<size_t>(std::max(1, std::atoi(argv[2]))) : 2;
  const int timeout_s = argc > 3 ? std::atoi(argv[3]) : 60;
  std::vector<std::vector<std::string>> cases;
  std::ifstream list(argv[1]);
  for (std::string line; std::getline(list, line);) {
    std::istringstream ss(line);
    std::vector<std::string> words;
    for (std::string w; ss >> w;) words.push_back(w);
    if (words.empty()) continue;
    std::vector<std::string> args = {words[0]};
    for (size_t i = 1; i < words.size(); ++i) {
      args.push_back("--input");
      args.push_back(words[i]);
    }
    cases.push_back(args);
  }
  std::vector<Job> running;
  size_t next = 0;
  while (next < cases.size() || !running.empty()) {
    while (running.size() < jobs && next < cases.size()) {
      Job j;
      j.index = next;
      j.start = std::chrono::steady_clock::now();
      j.pid = start(cases[next], &j.err_fd);
      ++next;
      if (j.pid < 0) {
        std::printf("%zu\tstart failed\t\n", j.index);
        continue;
      }
      running.push_back(j);
    }
    std::vector<pollfd> fds;
    for (const Job& j : running) fds.push_back(pollfd{j.err_fd, POLLIN, 0});
    poll(fds.data(), fds.size(), 100);
    for (size_t k = 0; k < running.size();) {
      Job& j = running[k];
      char buf[4096];
      ssize_t n;
      bool eof = false;
      while ((n = read(j.err_fd, buf, sizeof buf)) > 0) j.err.append(buf, static_cast<size_t>(n));
      if (n == 0) eof = true;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - j.start).count();
      if (!eof && secs > timeout_s && !j.timed_out) {
        j.timed_out = true;
        kill(-j.pid, SIGKILL);
        kill(j.pid, SIGKILL);
      }
      if (!eof && !j.timed_out) {
        ++k;
        continue;
      }
      int status = 0;
      waitpid(j.pid, &status, 0);
      close(j.err_fd);
      std::string what;
      if (j.timed_out) what = "timeout";
      else if (WIFSIGNALED(status)) what = "signal " + std::to_string(WTERMSIG(status));
      else what = "exit " + std::to_string(WEXITSTATUS(status));
      std::printf("%zu\t%s\t%s\n", j.index, what.c_str(), escape(j.err).c_str());
      std::fflush(stdout);
      running.erase(running.begin() + static_cast<long>(k));
    }
  }
  return 0;
}
