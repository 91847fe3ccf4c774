/* The console as a terminal (kernel/console/input.cpp): Linux's termios
 * settings and window size, as the kernel's tty_ctl and tty_signal_wait
 * system calls carry them. The flag bits and c_cc indices are Linux's
 * (asm-generic/termbits.h), so the C library passes struct termios through
 * unchanged. C, C++ and assembly-safe. */
#ifndef CHCORE_UAPI_TTY_H
#define CHCORE_UAPI_TTY_H

#include <stdint.h>

/* Linux's kernel struct termios (what TCGETS/TCSETS carry): 36 bytes. */
#define CHCORE_NCCS 19
struct chcore_termios {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[CHCORE_NCCS];
};

struct chcore_winsize {
  uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_cc indices. */
#define CHCORE_VINTR 0
#define CHCORE_VQUIT 1
#define CHCORE_VERASE 2
#define CHCORE_VKILL 3
#define CHCORE_VEOF 4
#define CHCORE_VTIME 5
#define CHCORE_VMIN 6
#define CHCORE_VSUSP 10
#define CHCORE_VEOL 11
#define CHCORE_VWERASE 14
#define CHCORE_VEOL2 16

/* c_iflag */
#define CHCORE_IGNBRK 0000001u
#define CHCORE_ISTRIP 0000040u
#define CHCORE_INLCR 0000100u
#define CHCORE_IGNCR 0000200u
#define CHCORE_ICRNL 0000400u
#define CHCORE_IXON 0002000u
/* c_oflag */
#define CHCORE_OPOST 0000001u
#define CHCORE_ONLCR 0000004u
/* c_cflag: B38400-style speed bits are kept, not acted on */
#define CHCORE_CS8 0000060u
#define CHCORE_CREAD 0000200u
#define CHCORE_CLOCAL 0004000u
#define CHCORE_B115200 0010002u
/* c_lflag */
#define CHCORE_ISIG 0000001u
#define CHCORE_ICANON 0000002u
#define CHCORE_ECHO 0000010u
#define CHCORE_ECHOE 0000020u
#define CHCORE_ECHOK 0000040u
#define CHCORE_ECHONL 0000100u
#define CHCORE_NOFLSH 0000200u
#define CHCORE_TOSTOP 0000400u
#define CHCORE_ECHOCTL 0001000u
#define CHCORE_ECHOKE 0004000u
#define CHCORE_IEXTEN 0100000u

/* tty_ctl(op, buf, len) operations: buf/len are a struct's. */
#define CHCORE_TTY_GET 1        /* buf: struct chcore_termios out */
#define CHCORE_TTY_SET 2        /* buf: struct chcore_termios in (TCSETS, TCSETSW) */
#define CHCORE_TTY_SET_FLUSH 3  /* the same after discarding pending input (TCSETSF) */
#define CHCORE_TTY_GET_WINSZ 4  /* buf: struct chcore_winsize out */
#define CHCORE_TTY_SET_WINSZ 5  /* buf: struct chcore_winsize in */
#define CHCORE_TTY_FLUSH 6      /* discard pending input (TCFLSH TCIFLUSH); buf unused */

/* system_power(ctl, cmd): what to do with the machine. */
#define CHCORE_POWER_OFF 1u
#define CHCORE_POWER_REBOOT 2u

#endif
