# wq_object_library(<name> <glob patterns...>): an OBJECT library of the matching sources,
# compiled with the project's dependencies and added to the shared library `windowquant`.
function(wq_object_library name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${ARGN})
  list(FILTER sources EXCLUDE REGEX "/cli/main\\.cpp$")
  if(NOT sources)
    return()
  endif()
  add_library(${name} OBJECT ${sources})
  target_link_libraries(${name} PUBLIC wq_deps)
  wq_warnings(${name})
  set_property(GLOBAL APPEND PROPERTY WQ_OBJECT_LIBRARIES_PROP ${name})
endfunction()

# Sources that include LibTorch share one precompiled header (build time is a feature).
function(wq_use_torch_pch name)
  target_precompile_headers(${name} PRIVATE <torch/torch.h>)
endfunction()
