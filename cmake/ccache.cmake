# Included by CMakeLists.txt and tests/fuzz/CMakeLists.txt.
# ccache, when installed, launches every C++ compile: a speed-up only, nothing depends on it
# (CCACHE_DISABLE=1 or -DNVMSIM_CCACHE=OFF turn it off). A launcher of the user's own
# (-DCMAKE_CXX_COMPILER_LAUNCHER=..., or that environment variable) is left alone.
option(NVMSIM_CCACHE "Use ccache as the C++ compiler launcher when it is installed" ON)
if(NVMSIM_CCACHE AND NOT DEFINED CMAKE_CXX_COMPILER_LAUNCHER
   AND NOT DEFINED ENV{CMAKE_CXX_COMPILER_LAUNCHER})
  find_program(NVMSIM_CCACHE_PROGRAM ccache)
  if(NVMSIM_CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${NVMSIM_CCACHE_PROGRAM})
  endif()
endif()
