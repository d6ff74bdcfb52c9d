# fuze_link_asmjit_into_shared(<target>): links the x86 backend's asmjit into a
# shared object (the Python module, libfuze_torchscript.so).
#
# Debian's libasmjit.a is compiled without -fPIC: linked as is into a shared
# object, its reference to libc's `stderr` fails ("relocation R_X86_64_PC32
# against symbol stderr ... recompile with -fPIC"). Everything else in it is
# PC-relative and links fine, so the shared object takes a copy whose `stderr`
# is renamed to a variable defined in src/backends/x86/asmjit_stderr.cpp, pulls it in whole
# (ahead of the original on the link line, which then adds nothing), and keeps
# its symbols private. A shared asmjit (a from-source build) needs none of this.
function(fuze_link_asmjit_into_shared target)
  if(NOT TARGET fuze_x86 OR NOT TARGET asmjit::asmjit)
    return()
  endif()
  get_target_property(type asmjit::asmjit TYPE)
  if(NOT type STREQUAL "STATIC_LIBRARY")
    return()
  endif()
  set(copy ${PROJECT_BINARY_DIR}/libfuze_asmjit_for_shared.a)
  if(NOT TARGET fuze_asmjit_for_shared)
    if(NOT CMAKE_OBJCOPY)
      message(FATAL_ERROR "objcopy (binutils) is needed to link the static asmjit into a shared object")
    endif()
    add_custom_command(OUTPUT ${copy}
      COMMAND ${CMAKE_OBJCOPY} --redefine-sym stderr=fuze_asmjit_stderr $<TARGET_FILE:asmjit::asmjit> ${copy}
      DEPENDS $<TARGET_FILE:asmjit::asmjit>
      COMMENT "asmjit copy for shared objects (stderr renamed)")
    add_custom_target(fuze_asmjit_for_shared DEPENDS ${copy})
  endif()
  add_dependencies(${target} fuze_asmjit_for_shared)
  target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src/backends/x86/asmjit_stderr.cpp)
  target_link_libraries(${target} PRIVATE
    -Wl,--whole-archive ${copy} -Wl,--no-whole-archive -Wl,--exclude-libs,libfuze_asmjit_for_shared.a)
endfunction()
