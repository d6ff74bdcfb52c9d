// `fuze bench --plot out.png`: the plot is drawn by scripts/bench_report.py
// (matplotlib) from the bench's JSON, run as a child process, rather than
// natively: matplotlib is already the project's plotting tool (bench/ plots go
// through the same script), so the CLI's plot and the report's plot are one
// drawing, and fuze links no PNG or font library. The cost is a run-time
// dependency on Python 3 with matplotlib, checked before the benchmark runs.
//
// Where things are found:
//   the script  <dir of the fuze executable>/bench_report.py (the build copies it
//               there), else <dir>/FUZE_SHARE_FROM_BIN/bench_report.py (the
//               installed layout: bin/fuze and share/fuze/bench_report.py);
//   Python      $FUZE_PYTHON, else the build's FUZE_PYTHON (/usr/bin/python3:
//               Debian's python3-matplotlib belongs to it).
#pragma once

#include <string>

namespace fuze::cli {

struct PlotTool {
  std::string python;
  std::string script;
};

// Finds the script and checks that the Python imports matplotlib. "" when
// usable, else a one-line error naming what is missing and how to fix it.
std::string find_plot_tool(PlotTool* out);

// Runs `python script --png png json`. "" on success (the PNG is there), else
// a one-line error with the script's last line of output.
std::string draw_plot(const PlotTool& tool, const std::string& json, const std::string& png);

// A temporary file, removed when this goes out of scope.
class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile();
  // Creates "$TMPDIR/<prefix>XXXXXX<suffix>" (TMPDIR defaults to /tmp) and
  // returns its path; throws c10::Error when it cannot.
  std::string create(const std::string& prefix, const std::string& suffix);

 private:
  std::string path_;
};

}  // namespace fuze::cli
