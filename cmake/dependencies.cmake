# Third-party dependencies. Every one is a Debian/Ubuntu package (scripts/setup.sh installs
# them); on the GPU machine they may come unpacked from .deps/ (scripts/device_deps.sh).
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(HDF5 REQUIRED COMPONENTS C CXX)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)

# LibTorch: from an installed PyTorch (CMAKE_PREFIX_PATH) or Debian's libtorch-dev.
find_package(Torch REQUIRED)
message(STATUS "LibTorch ${Torch_VERSION}: ${TORCH_LIBRARIES}")

if(WQ_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(WQ_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

# yaml-cpp 0.7 exports the target `yaml-cpp`, 0.8 `yaml-cpp::yaml-cpp`.
if(TARGET yaml-cpp::yaml-cpp)
  set(WQ_YAML_TARGET yaml-cpp::yaml-cpp)
else()
  set(WQ_YAML_TARGET yaml-cpp)
endif()

add_library(wq_hdf5 INTERFACE)
target_include_directories(wq_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(wq_hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})
target_compile_definitions(wq_hdf5 INTERFACE ${HDF5_DEFINITIONS})

# Warnings for our own targets only.
function(wq_warnings target)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
endfunction()
