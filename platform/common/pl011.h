// Arm PrimeCell UART (PL011) driver: the console on both platforms.
#pragma once
#include "lib/types.h"

namespace plat {

class Pl011 {
 public:
  // `base` is the kernel virtual address of the register block. `clock_hz`
  // of 0 keeps the baud rate the firmware set.
  void init(u64 base, u32 clock_hz, u32 baud);
  void putc(char c);
  // Returns -1 if no character is waiting.
  int try_getc();
  // Receive and receive-timeout interrupts on (UARTIMSC) / acknowledged
  // (UARTICR). The receive interrupt itself stays asserted while the FIFO
  // holds data at its trigger level: only reading the data silences it.
  void enable_rx_irq();
  void clear_rx_irq();

 private:
  volatile u32* reg(u32 off) const { return reinterpret_cast<volatile u32*>(base_ + off); }
  u64 base_ = 0;
};

}  // namespace plat
