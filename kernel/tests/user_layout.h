/* Where the in-kernel tests place EL0 code and stack (C and assembly). */
#ifndef CHCORE_TESTS_USER_LAYOUT_H
#define CHCORE_TESTS_USER_LAYOUT_H
#define USER_CODE_VA 0x400000
#define USER_STACK_TOP 0x800000
#define USER_STACK_PAGES 2
#endif
