# Toolchain for host unit tests: the same clang as the kernel, so that the
# kernel's freestanding code is compiled by the same front end on both sides.
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
