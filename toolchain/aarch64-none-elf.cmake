# clang-19 / LLVM-19 for freestanding AArch64 code (target aarch64-none-elf),
# shared by the kernel's and the pre-libc user programs' toolchain files.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_ASM_COMPILER clang-19)
set(CMAKE_C_COMPILER_TARGET aarch64-none-elf)
set(CMAKE_CXX_COMPILER_TARGET aarch64-none-elf)
set(CMAKE_ASM_COMPILER_TARGET aarch64-none-elf)
set(CMAKE_AR llvm-ar-19 CACHE FILEPATH "ar")
set(CMAKE_RANLIB llvm-ranlib-19 CACHE FILEPATH "ranlib")
set(CMAKE_OBJCOPY llvm-objcopy-19 CACHE FILEPATH "objcopy")
set(CMAKE_OBJDUMP llvm-objdump-19 CACHE FILEPATH "objdump")
