# Imports libtorch from a torch Python package directory (FUZE_TORCH_DIR, e.g.
# <site-packages>/torch of a PyPI wheel) without TorchConfig.cmake.
#
# Why not find_package(Torch) there: a CUDA wheel's TorchConfig drags in the
# CUDA toolkit, cuDNN and friends at configure time, finds the system's
# libtorch before its own (Debian's 1.13 here), and links libtorch.so, which
# needs libtorch_cuda.so and every NVIDIA library at run time. fuze's frontend
# needs only libtorch_cpu and libc10, also for CUDA tensors; FUZE_TORCH_CUDA
# adds libtorch_cuda for C++ programs that make CUDA tensors themselves.
#
# Sets what TorchConfig sets and fuze reads: TORCH_LIBRARIES, TORCH_INSTALL_PREFIX,
# Torch_VERSION, Torch_FOUND.
set(FUZE_TORCH_DIR "${FUZE_TORCH_DIR}" CACHE PATH "torch package directory (PyPI wheel layout); empty = find_package(Torch)")
option(FUZE_TORCH_CUDA "Link libtorch_cuda too, so that C++ programs (the tests) can make CUDA tensors" OFF)

if(NOT EXISTS "${FUZE_TORCH_DIR}/include/torch/script.h" OR NOT EXISTS "${FUZE_TORCH_DIR}/lib/libtorch_cpu.so")
  message(FATAL_ERROR "FUZE_TORCH_DIR=${FUZE_TORCH_DIR} is not a torch package (no include/torch/script.h or lib/libtorch_cpu.so)")
endif()
file(STRINGS "${FUZE_TORCH_DIR}/version.py" fuze_torch_version_line REGEX "^__version__")
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" Torch_VERSION "${fuze_torch_version_line}")
set(TORCH_INSTALL_PREFIX "${FUZE_TORCH_DIR}")
set(Torch_FOUND TRUE)

add_library(fuze_torch INTERFACE)
target_include_directories(fuze_torch SYSTEM INTERFACE
  "${FUZE_TORCH_DIR}/include" "${FUZE_TORCH_DIR}/include/torch/csrc/api/include")
target_link_libraries(fuze_torch INTERFACE
  "${FUZE_TORCH_DIR}/lib/libtorch_cpu.so" "${FUZE_TORCH_DIR}/lib/libc10.so")
if(FUZE_TORCH_CUDA)
  # --no-as-needed: nothing in fuze names a libtorch_cuda symbol, but loading
  # it is what registers torch's CUDA kernels and allocator in a C++ program
  # (in Python, `import torch` does). fuze itself needs no CUDA header: it
  # takes the current stream's handle from c10::Stream (libc10).
  if(NOT EXISTS "${FUZE_TORCH_DIR}/lib/libtorch_cuda.so")
    message(FATAL_ERROR "FUZE_TORCH_CUDA: ${FUZE_TORCH_DIR}/lib/libtorch_cuda.so not found (a CPU-only torch?)")
  endif()
  target_link_libraries(fuze_torch INTERFACE -Wl,--no-as-needed "${FUZE_TORCH_DIR}/lib/libtorch_cuda.so" -Wl,--as-needed)
endif()
# The wheel's libraries find their NVIDIA dependencies through their own RPATH
# (or LD_LIBRARY_PATH); fuze's binaries only need to find the torch libraries.
set_target_properties(fuze_torch PROPERTIES INTERFACE_LINK_OPTIONS "-Wl,-rpath,${FUZE_TORCH_DIR}/lib")
set(TORCH_LIBRARIES fuze_torch)
install(TARGETS fuze_torch EXPORT fuzeTargets)
message(STATUS "fuze: libtorch ${Torch_VERSION} from ${FUZE_TORCH_DIR} (CUDA tensors: ${FUZE_TORCH_CUDA})")
