/* Fixed-width types for the C code shared by the kernel and user space
 * (cpio.h, elf.h). Compiler builtins only: no libc headers are needed. */
#pragma once

typedef __UINT8_TYPE__ chcore_u8;
typedef __UINT16_TYPE__ chcore_u16;
typedef __UINT32_TYPE__ chcore_u32;
typedef __UINT64_TYPE__ chcore_u64;
