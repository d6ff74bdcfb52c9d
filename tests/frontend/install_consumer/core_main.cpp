// A torch-free client of the installed fuze (fuze::core): builds kernel IR
// for tanh(a + b), compiles it with the default CPU backend and runs it.
#include <fuze/core.h>

#include <cmath>
#include <cstdio>
#include <memory>

int main() {
  namespace ir = fuze::ir;
  ir::Kernel k("fused_add_tanh", 1);
  const int a = k.add_input(ir::DType::kFloat32, ir::Layout::kContiguous);
  const int b = k.add_input(ir::DType::kFloat32, ir::Layout::kContiguous);
  k.add_output(k.add_op(ir::Op::kTanh, ir::DType::kFloat32, {k.add_op(ir::Op::kAdd, ir::DType::kFloat32, {a, b})}),
               ir::Layout::kContiguous);
  if (fuze::Status s = ir::verify(k); !s) {
    std::printf("invalid IR: %s\n", s.message().c_str());
    return 1;
  }
  std::unique_ptr<fuze::Backend> backend;
  std::unique_ptr<fuze::CompiledKernel> kernel;
  if (fuze::Status s = fuze::make_backend(fuze::default_options().backend, &backend); !s) return 1;
  if (fuze::Status s = backend->compile(k, &kernel); !s) {
    std::printf("compile failed: %s\n", s.message().c_str());
    return 1;
  }
  float x[4] = {0.0f, 0.5f, -1.0f, 2.0f}, y[4] = {0.25f, 0.5f, -1.0f, -2.0f}, out[4] = {};
  const int64_t sizes[1] = {4}, strides[3] = {1, 1, 1};
  void* data[3] = {x, y, out};
  const double scalars[3] = {0, 0, 0};
  fuze::KernelArgs args;
  args.numel = 4;
  args.rank = 1;
  args.sizes = sizes;
  args.data = data;
  args.strides = strides;
  args.scalars = scalars;
  kernel->run(args, 0, 4);
  for (int i = 0; i < 4; ++i) {
    if (std::fabs(out[i] - std::tanh(x[i] + y[i])) > 1e-6f) {
      std::printf("wrong result at %d: %g\n", i, out[i]);
      return 1;
    }
  }
  std::printf("core: %s kernel %s ok\n", fuze::backend_name(backend->kind()), kernel->name().c_str());
  return 0;
}
