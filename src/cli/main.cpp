// `fuze <command> [args]`: the dispatcher. Subcommands live in their own files
// (run.cpp, ...) and are listed in kCommands.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"

namespace fuze::cli {

namespace {

const Command kCommands[] = {
    {"run", "run a TorchScript model fused and compare it with plain TorchScript", run_main, run_help},
    {"bench", "time plain TorchScript against fuze, interleaved, with statistics", bench_main, bench_help},
    {"profile", "time per fusion group and unfused node; Chrome trace", profile_main, profile_help},
    {"dump", "graphs before/after fusion, kernel IR, assembly, why nodes stay unfused", dump_main, dump_help},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: fuze <command> [options]\n       fuze --version\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
  std::fprintf(out, "  %-8s %s\n", "version", "fuze's version, the libtorch it was built against, the backends here");
  std::fprintf(out,
               "\n`fuze <command> --help` describes a command's options and the environment\n"
               "variables (FUZE_BACKEND, FUZE_X86_ISA, FUZE_LOG, ...) that affect it.\n");
}

}  // namespace

}  // namespace fuze::cli

int main(int argc, char** argv) {
  using namespace fuze::cli;
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    if (argc >= 3) {
      for (const Command& c : kCommands) {
        if (argv[2] == std::string(c.name)) {
          c.help();
          return 0;
        }
      }
    }
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    if (argc > 2) return fail("fuze " + cmd + " takes no arguments");
    return version_main();
  }
  for (const Command& c : kCommands) {
    // Model commands run in a child process: a corrupt .pt cannot crash fuze.
    if (cmd == c.name) return run_isolated(c.main, argc - 1, argv + 1);
  }
  return fail("unknown command '" + cmd + "' (try fuze --help)");
}
