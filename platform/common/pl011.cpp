#include "platform/common/pl011.h"

namespace plat {

namespace {
// Register offsets and bits (PL011 TRM).
constexpr u32 kDR = 0x00, kFR = 0x18, kIBRD = 0x24, kFBRD = 0x28, kLCRH = 0x2c, kCR = 0x30,
              kIMSC = 0x38, kICR = 0x44;
constexpr u32 kFrTxFull = 1u << 5, kFrRxEmpty = 1u << 4, kFrBusy = 1u << 3;
constexpr u32 kLcrhFifo = 1u << 4, kLcrh8Bit = 3u << 5;
constexpr u32 kCrEnable = 1u << 0, kCrTx = 1u << 8, kCrRx = 1u << 9;
// Interrupt bits (UARTIMSC, UARTRIS, UARTICR): receive, receive timeout
// (the FIFO holds fewer bytes than the trigger level and the line went quiet).
constexpr u32 kIntRx = 1u << 4, kIntRt = 1u << 6;
}  // namespace

void Pl011::init(u64 base, u32 clock_hz, u32 baud) {
  base_ = base;
  if (clock_hz == 0) return;
  *reg(kCR) = 0;
  while (*reg(kFR) & kFrBusy) {
  }
  // Divisor = clock / (16 * baud), as a 16.6 fixed-point number, rounded.
  u32 div64 = (clock_hz * 4 + baud / 2) / baud;
  *reg(kIBRD) = div64 >> 6;
  *reg(kFBRD) = div64 & 63;
  *reg(kLCRH) = kLcrhFifo | kLcrh8Bit;
  *reg(kIMSC) = 0;
  *reg(kICR) = 0x7ff;
  *reg(kCR) = kCrEnable | kCrTx | kCrRx;
}

void Pl011::putc(char c) {
  if (base_ == 0) return;
  while (*reg(kFR) & kFrTxFull) {
  }
  *reg(kDR) = static_cast<u8>(c);
}

int Pl011::try_getc() {
  if (base_ == 0 || (*reg(kFR) & kFrRxEmpty)) return -1;
  return static_cast<int>(*reg(kDR) & 0xff);
}

void Pl011::enable_rx_irq() {
  if (base_ == 0) return;
  *reg(kIMSC) = *reg(kIMSC) | kIntRx | kIntRt;
}

void Pl011::clear_rx_irq() {
  if (base_ == 0) return;
  *reg(kICR) = kIntRx | kIntRt;
}

}  // namespace plat
