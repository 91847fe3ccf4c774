/* Notifications, interrupt lines and device memory: the constants of system
 * calls 48-55 (notify_*, irq_*, create_device_pmo, test_irq). C and C++.
 * Semantics and errors: docs/notifications.md. */
#ifndef CHCORE_UAPI_NOTIFY_H
#define CHCORE_UAPI_NOTIFY_H

/* notify_wait(notif, flags, time_ns) flags; at most one of TIMEOUT and
 * DEADLINE. Without either the call waits as long as it takes. */
#define CHCORE_NOTIFY_POLL 1u     /* never block: -EAGAIN if no signal is pending */
#define CHCORE_NOTIFY_TIMEOUT 2u  /* give up with -ETIMEDOUT after time_ns ns (relative) */
#define CHCORE_NOTIFY_DEADLINE 4u /* give up with -ETIMEDOUT once CLOCK_MONOTONIC reads time_ns */

/* The most signals a notification holds; one more is -EOVERFLOW. */
#define CHCORE_NOTIFY_MAX_PENDING 0x7fffffffffffffffull

/* irq_bind(irq, notif) with this notif unbinds the line (and masks it). */
#define CHCORE_IRQ_UNBIND (~0ul)

/* test_irq(op), in test kernels only: a device interrupt line of the board
 * that the kernel can raise and lower itself, to test delivery to user
 * space without a device (virt: the last SPI of the GIC, set pending;
 * raspi3: the system timer's compare 1, VideoCore interrupt 1). */
#define CHCORE_TEST_IRQ_LINE 0  /* returns the line's number (for irq_create) */
#define CHCORE_TEST_IRQ_RAISE 1 /* asserts it */
#define CHCORE_TEST_IRQ_LOWER 2 /* deasserts it (the "driver" silences its device) */

#endif
