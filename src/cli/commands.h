// The `fuze` command line: one file per subcommand, dispatched by main.cpp.
// Each subcommand takes its own arguments (argv[0] is the subcommand name) and
// returns the process exit status. Errors are one line on stderr: no stack trace.
#pragma once

#include <string>

namespace fuze::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*main)(int argc, char** argv);
  void (*help)();
};

// fuze run model.pt (--input 3x4 ... | --inputs in.pt) [--seed S] [--outputs out.pt] [--backend B]
int run_main(int argc, char** argv);
void run_help();

// fuze bench model.pt (inputs as for run) [--warmup N | --warmup-ms T] [--iters N | --duration S] ... [--json F]
int bench_main(int argc, char** argv);
void bench_help();

// fuze profile model.pt (inputs as for run) [--iters N] [--trace out.json]
int profile_main(int argc, char** argv);
void profile_help();

// fuze dump model.pt (inputs as for run) [--what graph,ir,asm,unfused]
int dump_main(int argc, char** argv);
void dump_help();

// fuze --version: fuze's version, the libtorch it was built against, the backends.
int version_main();

// Prints "fuze: <message>" (first line only) to stderr and returns 1.
int fail(const std::string& message);

}  // namespace fuze::cli
