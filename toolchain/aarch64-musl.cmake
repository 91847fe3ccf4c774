# Toolchain for user programs on chcore-libc (musl + ChCore's port): C and
# assembly through the compiler wrapper that user/chcore-libc/build-musl.sh
# installs into the libc's sysroot. Programs are static ET_EXEC AArch64
# executables linked at 0x400000 with crt1.o, libc.a and compiler-rt's
# builtins (see user/chcore-libc/chcore-clang.in).
#
#   cmake -DCMAKE_TOOLCHAIN_FILE=<repo>/toolchain/aarch64-musl.cmake \
#         -DCHCORE_LIBC_SYSROOT=<build>/chcore-libc/sysroot ...
#
# The sysroot must have been built first (the superbuild orders it so).
# There is no C++ standard library for this target yet: C++ needs
# -nostdinc++ and must not use the library.
set(CMAKE_SYSTEM_NAME Linux)   # musl's ABI: Linux system-call conventions
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT CHCORE_LIBC_SYSROOT)
  get_filename_component(CHCORE_LIBC_SYSROOT
    ${CMAKE_CURRENT_LIST_DIR}/../build/chcore-libc/sysroot ABSOLUTE)
endif()
set(CHCORE_LIBC_SYSROOT ${CHCORE_LIBC_SYSROOT} CACHE PATH "chcore-libc's sysroot (build-musl.sh)")
# try_compile projects see the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CHCORE_LIBC_SYSROOT)

set(_chcore_cc ${CHCORE_LIBC_SYSROOT}/bin/chcore-clang)
if(NOT EXISTS ${_chcore_cc})
  message(FATAL_ERROR "${_chcore_cc} does not exist: build chcore-libc first "
    "(user/chcore-libc/build-musl.sh) or set CHCORE_LIBC_SYSROOT")
endif()
set(CMAKE_C_COMPILER ${_chcore_cc})
set(CMAKE_ASM_COMPILER ${_chcore_cc})
set(CMAKE_AR llvm-ar-19 CACHE FILEPATH "ar")
set(CMAKE_RANLIB llvm-ranlib-19 CACHE FILEPATH "ranlib")
set(CMAKE_OBJCOPY llvm-objcopy-19 CACHE FILEPATH "objcopy")
set(CMAKE_OBJDUMP llvm-objdump-19 CACHE FILEPATH "objdump")

# Only the sysroot: never the host's headers or libraries.
set(CMAKE_FIND_ROOT_PATH ${CHCORE_LIBC_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static executables at a fixed address: no PIE.
set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
set(CMAKE_C_FLAGS_INIT "-fno-pie")
set(CMAKE_ASM_FLAGS_INIT "-fno-pie")
