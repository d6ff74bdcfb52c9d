// Part of the PIC-safe copy of Debian's libasmjit.a that fuze's shared objects
// link (cmake/FuzeAsmjitShared.cmake): that archive is compiled without -fPIC, and its
// one reference to a libc data symbol (stderr, used by asmjit's debug output)
// cannot be relocated in a shared object. The copy refers to this variable
// instead, defined inside each shared object.
#include <cstdio>

extern "C" {
__attribute__((visibility("hidden"))) FILE* fuze_asmjit_stderr = stderr;
}
