# wq_object_library(<name> <glob patterns...> [EXCLUDE <path fragments...>]): an OBJECT
# library of the matching sources, compiled with the project's dependencies and added to the
# shared library `windowquant`.
function(wq_object_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "EXCLUDE")
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${arg_UNPARSED_ARGUMENTS})
  list(FILTER sources EXCLUDE REGEX "/cli/main\\.cpp$")
  foreach(fragment IN LISTS arg_EXCLUDE)
    list(FILTER sources EXCLUDE REGEX "${fragment}")
  endforeach()
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
