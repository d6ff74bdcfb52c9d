// The models.txt that scripts/make_seed_models.py and make_real_models.py
// write beside their .pt files: one model a line, "name file shape...", with
// shapes like 3x4. Standard C++ only, so that a test host that must not see
// fuze's headers (tests/torchscript/host.cpp) reads it too.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fuze::testing {

struct ModelEntry {
  std::string name, file;  // file: made absolute (dir + "/" + the listed name)
  std::vector<std::vector<int64_t>> shapes;
};

inline std::vector<ModelEntry> read_models(const std::string& dir) {
  std::vector<ModelEntry> out;
  std::ifstream in(dir + "/models.txt");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    ModelEntry m;
    if (!(ss >> m.name >> m.file)) continue;  // a blank line
    m.file = dir + "/" + m.file;
    std::string shape;
    while (ss >> shape) {
      std::vector<int64_t> dims;
      std::istringstream ds(shape);
      std::string d;
      while (std::getline(ds, d, 'x')) dims.push_back(std::stoll(d));
      m.shapes.push_back(dims);
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace fuze::testing
