# The libraries both the main build and the fuzzers (fuzz/CMakeLists.txt) link:
# LibTorch, TurboJPEG, libpng and zlib.
#
# LibTorch: Debian's libtorch-dev here, or a PyTorch 2.x bundle through
# -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)').
find_package(Torch REQUIRED)
# TurboJPEG: the CMake package that Debian's libturbojpeg0-dev ships, else a
# plain header and library search (other distributions, or packages unpacked
# under a prefix without root, as scripts/gpu-check does).
find_package(libjpeg-turbo CONFIG QUIET)
if(NOT TARGET libjpeg-turbo::turbojpeg)
  find_path(TURBOJPEG_INCLUDE_DIR turbojpeg.h REQUIRED)
  find_library(TURBOJPEG_LIBRARY NAMES turbojpeg libturbojpeg.so.0 REQUIRED)
  add_library(libjpeg-turbo::turbojpeg UNKNOWN IMPORTED)
  set_target_properties(libjpeg-turbo::turbojpeg PROPERTIES
    IMPORTED_LOCATION "${TURBOJPEG_LIBRARY}" INTERFACE_INCLUDE_DIRECTORIES "${TURBOJPEG_INCLUDE_DIR}")
endif()
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)
