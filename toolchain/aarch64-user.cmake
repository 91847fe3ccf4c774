# Toolchain for user programs before the libc exists: freestanding AArch64
# code (clang-19 + ld.lld-19), static ET_EXEC binaries linked at 0x400000 with
# user/libchcore/user.ld. Unlike the kernel, user code may use FP/SIMD, so
# there is no -mgeneral-regs-only here.
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-none-elf.cmake)

# The linker script every user program is linked with (text at 0x400000,
# one page-aligned segment per permission: R+X, R, R+W).
get_filename_component(CHCORE_USER_LDSCRIPT
  ${CMAKE_CURRENT_LIST_DIR}/../user/libchcore/user.ld ABSOLUTE)

# -mno-outline-atomics: atomics inline (LDXR/STXR or LSE), never calls into
#   helpers that would need a runtime library.
# -fno-pic/-fno-pie: static executables at a fixed address.
# -ffunction-sections/-fdata-sections with --gc-sections: keep programs small
#   (they are copied into the kernel image through the ramdisk).
set(_chcore_user_flags
  "-ffreestanding -nostdlib -fno-stack-protector -mno-outline-atomics -fno-pic -fno-pie -ffunction-sections -fdata-sections -fno-omit-frame-pointer")
set(CMAKE_C_FLAGS_INIT "${_chcore_user_flags}")
set(CMAKE_CXX_FLAGS_INIT
  "${_chcore_user_flags} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit -fno-unwind-tables -fno-asynchronous-unwind-tables")
set(CMAKE_ASM_FLAGS_INIT "${_chcore_user_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT
  "-fuse-ld=lld -nostdlib -static -Wl,-T,${CHCORE_USER_LDSCRIPT} -Wl,--gc-sections -Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,--no-undefined")

# Nothing links without crt0 and libchcore, so probe the compilers with a
# static library instead of an executable.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
