// fuze._C: the pybind11 extension behind the `fuze` Python package.
//
// It is a thin layer over the public C++ API (include/fuze/fuze.h). TorchScript
// objects cross the boundary through torch's own pybind11 type casters (the
// extension links the same libtorch_python that `import torch` loaded), so a
// torch._C.ScriptModule arrives here as a torch::jit::Module and a
// std::shared_ptr<torch::jit::Graph> leaves as a torch._C.Graph.
//
// Every entry point runs under call_guarded(): C++ errors become Python
// exceptions with the message TorchScript would give (never a crash).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/python/pybind_utils.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fuze/fuze.h"

namespace py = pybind11;

namespace fuze::python {
namespace {

// Runs `fn`, turning C++ exceptions into Python ones: c10's typed errors map to
// their Python counterparts, everything else becomes RuntimeError. Messages
// leave out the C++ backtrace.
template <typename Fn>
auto call_guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (py::error_already_set&) {
    throw;
  } catch (py::builtin_exception&) {
    throw;
  } catch (std::bad_alloc&) {
    throw;  // pybind11 raises MemoryError
  } catch (const c10::TypeError& e) {
    throw py::type_error(e.what_without_backtrace());
  } catch (const c10::ValueError& e) {
    throw py::value_error(e.what_without_backtrace());
  } catch (const c10::IndexError& e) {
    throw py::index_error(e.what_without_backtrace());
  } catch (const c10::NotImplementedError& e) {
    PyErr_SetString(PyExc_NotImplementedError, e.what_without_backtrace());
    throw py::error_already_set();
  } catch (const c10::Error& e) {
    throw std::runtime_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what());
  }
}

std::string type_name(py::handle obj) {
  return py::str(py::type::handle_of(obj).attr("__qualname__"));
}

// Accepts a torch.jit.ScriptModule (scripted, traced or loaded) or its `_c`
// (a torch._C.ScriptModule).
torch::jit::Module to_script_module(py::handle obj, const char* who) {
  py::object c = py::reinterpret_borrow<py::object>(obj);
  if (!py::isinstance<torch::jit::Module>(c) && py::hasattr(obj, "_c")) {
    c = obj.attr("_c");
  }
  if (!py::isinstance<torch::jit::Module>(c)) {
    throw py::type_error(std::string(who) +
                         ": expected a torch.jit.ScriptModule (from torch.jit.script, "
                         "torch.jit.trace or torch.jit.load), got " +
                         type_name(obj) +
                         "; a torch.nn.Module must be scripted or traced first");
  }
  return c.cast<torch::jit::Module>();
}

// A module whose forward runs with fuze::FusionGroup nodes. Holds the
// TorchScript module it came from (shared: parameters are not copied).
class PyFusedModule {
 public:
  explicit PyFusedModule(fuze::Module fused) : fused_(std::move(fused)) {}

  py::object forward(const py::args& args, const py::kwargs& kwargs) {
    std::vector<torch::jit::IValue> inputs;
    call_guarded([&] {
      const torch::jit::Module& original = fused_.original();
      const c10::FunctionSchema& schema = original.get_method("forward").function().getSchema();
      // Converts the Python arguments by the schema (self included, then dropped),
      // so errors name the argument and the declaration exactly as TorchScript does.
      torch::jit::Stack stack =
          torch::jit::createStackForSchema(schema, torch::jit::tuple_slice(args), kwargs,
                                           original._ivalue());
      inputs.assign(std::make_move_iterator(stack.begin() + 1),
                    std::make_move_iterator(stack.end()));
    });
    torch::jit::IValue out = call_guarded([&] {
      py::gil_scoped_release no_gil;
      return fused_.forward(std::move(inputs));
    });
    return call_guarded([&] { return torch::jit::toPyObject(std::move(out)); });
  }

  std::shared_ptr<torch::jit::Graph> graph() const { return fused_.graph(); }
  int num_fusion_groups() const { return fused_.num_fusion_groups(); }
  torch::jit::Module original() const { return fused_.original(); }

 private:
  fuze::Module fused_;
};

py::dict stats_dict() {
  const fuze::Stats s = fuze::stats();
  py::dict d;
  d["hits"] = s.hits;
  d["misses"] = s.misses;
  d["compiles"] = s.compiles;
  d["compile_failures"] = s.compile_failures;
  d["fallbacks"] = s.fallbacks;
  d["evictions"] = s.evictions;
  d["kernel_calls"] = s.kernel_calls;
  d["compile_us"] = s.compile_us;
  return d;
}

py::dict options_dict(const fuze::Options& o) {
  py::dict d;
  d["backend"] = std::string(fuze::backend_name(o.backend));
  d["num_threads"] = o.num_threads;
  return d;
}

void set_options(const py::object& backend, const py::object& num_threads) {
  fuze::Options o = fuze::options();
  if (!backend.is_none()) {
    const std::string name = py::str(backend);
    if (!fuze::parse_backend(name, &o.backend)) {
      throw py::value_error("fuze.set_options: unknown backend '" + name +
                            "' (expected 'interp', 'x86' or 'cuda')");
    }
  }
  if (!num_threads.is_none()) {
    const int n = num_threads.cast<int>();
    if (n < 0) throw py::value_error("fuze.set_options: num_threads must be >= 0 (0: torch's count)");
    o.num_threads = n;
  }
  call_guarded([&] { fuze::set_options(o); });
}

// Fuses a copy of `graph` (calls inlined first); the caller's graph is untouched.
py::tuple fuse_graph_copy(const std::shared_ptr<torch::jit::Graph>& graph) {
  if (!graph) throw py::type_error("fuze.fuse_graph: expected a torch._C.Graph, got None");
  return call_guarded([&] {
    std::shared_ptr<torch::jit::Graph> copy = graph->copy();
    torch::jit::Inline(*copy);
    const int groups = fuze::fuse_graph(copy);
    return py::make_tuple(copy, groups);
  });
}

}  // namespace
}  // namespace fuze::python

PYBIND11_MODULE(_C, m) {
  using fuze::python::call_guarded;
  using fuze::python::PyFusedModule;
  // torch's type casters (ScriptModule, Graph, Tensor) must be registered before
  // the first call; importing torch here makes `import fuze._C` alone work.
  py::module_::import("torch");

  m.doc() = "fuze: a JIT fusion compiler for TorchScript (C++ extension; use the `fuze` package)";

  py::class_<PyFusedModule>(m, "FusedModule",
                            "A TorchScript module whose forward runs with fuze::FusionGroup nodes.")
      .def("forward", &PyFusedModule::forward)
      .def("__call__", &PyFusedModule::forward)
      .def_property_readonly("graph", &PyFusedModule::graph,
                             "The optimized forward graph (inlined, with fuze::FusionGroup nodes).")
      .def_property_readonly("num_fusion_groups", &PyFusedModule::num_fusion_groups)
      .def_property_readonly("original", &PyFusedModule::original,
                             "The torch._C.ScriptModule this one was made from.");

  m.def(
      "optimize",
      [](const py::object& module) {
        torch::jit::Module script = fuze::python::to_script_module(module, "fuze.optimize");
        return call_guarded([&] {
          py::gil_scoped_release no_gil;
          return std::make_unique<PyFusedModule>(fuze::optimize(std::move(script)));
        });
      },
      py::arg("module"), "Fuses a torch.jit.ScriptModule's forward; returns a FusedModule.");
  m.def("fuse_graph", &fuze::python::fuse_graph_copy, py::arg("graph"),
        "Returns (fused copy of graph, number of fusion groups).");

  m.def("enable", [] { call_guarded([] { fuze::enable(); }); },
        "Registers fuze as a TorchScript pre-pass: scripted/traced modules optimized from now on "
        "run fused.");
  m.def("disable", [] { call_guarded([] { fuze::disable(); }); });
  m.def("is_enabled", [] { return fuze::is_enabled(); });
  m.def(
      "refresh",
      [](const py::object& obj, bool submodules) {
        if (py::isinstance<torch::jit::StrongFunctionPtr>(obj)) {
          torch::jit::Function* fn = obj.cast<torch::jit::StrongFunctionPtr>().function_;
          return call_guarded([&] { return fuze::refresh(*fn); });
        }
        torch::jit::Module script = fuze::python::to_script_module(obj, "fuze.refresh");
        return call_guarded([&] { return fuze::refresh(script, submodules); });
      },
      py::arg("module"), py::arg("submodules") = true,
      "Drops the plans TorchScript cached for a ScriptModule's methods (or a scripted "
      "function), so that the next call is optimized again. Returns how many were reset.");

  m.def("stats", &fuze::python::stats_dict, "The kernel cache counters as a dict.");
  m.def("reset_stats", [] { call_guarded([] { fuze::reset_stats(); }); });
  m.def("options", [] { return fuze::python::options_dict(fuze::options()); });
  m.def("default_options", [] { return fuze::python::options_dict(fuze::default_options()); });
  m.def("set_options", &fuze::python::set_options, py::arg("backend") = py::none(),
        py::arg("num_threads") = py::none());
}
