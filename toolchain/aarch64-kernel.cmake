# Toolchain for the freestanding AArch64 kernel: clang-19 + ld.lld-19.
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-none-elf.cmake)
# Nothing can be linked without our linker script, so probe with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld -nostdlib -static")
