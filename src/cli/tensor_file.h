// Tensor files of `fuze run --inputs/--outputs`: what Python's torch.save
// writes for a bare tensor or a list/tuple of tensors (zip format, any length,
// including empty and one element), and a list that Python's torch.load reads.
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

namespace fuze::cli {

// The values of a torch.save'd file: the elements of a list or tuple, or the
// one bare value. Throws c10::Error with a one-line reason on a bad file.
std::vector<torch::jit::IValue> load_tensor_file(const std::string& path);

// Writes `tensors` as a list, in torch.save's zip format. Throws c10::Error
// when the file cannot be written.
void save_tensor_list(const std::string& path, const std::vector<at::Tensor>& tensors);

// libtorch's unpickler knows APPENDS but not APPEND, which Python's pickler
// writes for a one-element list. Returns the pickle with each APPEND turned
// into MARK <item> APPENDS (same meaning); `pickle` unchanged when it has no
// APPEND or holds an opcode this walker does not know. Exposed for tests.
std::string rewrite_pickle_appends(const std::string& pickle);

}  // namespace fuze::cli
