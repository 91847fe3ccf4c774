/* The system calls: ONE list, used by the kernel's table, the user-side stubs
 * (user/libchcore) and the names used for tracing. C, C++ and assembly can
 * include this file.
 *
 * CHCORE_SYSCALLS(X) calls X(number, name, argument count, (argument types))
 * for every call. The types are the kernel's (kernel/syscall/syscall.h:
 * u64, i64, UserPtr<T> for a user pointer, VirtAddr for a user address that
 * is mapped or jumped to rather than copied through, PhysAddr for a
 * physical address, CapSlot for a capability slot);
 * the kernel declares each handler with them and generates the thunk that
 * converts the registers. User space ignores them: its stubs pass
 * unsigned longs.
 * Numbers are unique and below CHCORE_NR_SYSCALLS, the size of the kernel's
 * table; a number without an entry returns -ENOSYS, like one past the end.
 * Arguments and errors of each call: docs/abi.md. The test-only calls
 * (test_*) work only in test kernels; elsewhere they return -ENOSYS. */
#ifndef CHCORE_UAPI_SYSCALL_NR_H
#define CHCORE_UAPI_SYSCALL_NR_H

#define CHCORE_NR_SYSCALLS 128

#define CHCORE_SYSCALLS(X)                                                                  \
  X(0, null, 0, ())                                                                         \
  X(1, putstr, 2, (UserPtr<const char> buf, u64 len))                                       \
  X(2, getc, 0, ())                                                                         \
  X(3, create_cap_group, 3, (UserPtr<const char> name, u64 len, UserPtr<u64> pid_out))      \
  X(4, create_thread, 6,                                                                    \
    (CapSlot cg, VirtAddr entry, VirtAddr stack, u64 arg, u64 tls, u64 flags))              \
  X(5, thread_exit, 0, ())                                                                  \
  X(6, exit_group, 1, (i64 code))                                                           \
  X(7, yield, 0, ())                                                                        \
  X(8, create_pmo, 2, (u64 size, u64 type))                                                 \
  X(9, map_pmo, 4, (CapSlot cg, CapSlot pmo, VirtAddr addr, u64 prot))                      \
  X(10, unmap_pmo, 3, (CapSlot cg, CapSlot pmo, VirtAddr addr))                             \
  X(11, write_pmo, 4, (CapSlot pmo, u64 offset, UserPtr<const u8> buf, u64 len))            \
  X(12, read_pmo, 4, (CapSlot pmo, u64 offset, UserPtr<u8> buf, u64 len))                   \
  X(13, cap_copy, 2, (CapSlot slot, u64 rights))                                            \
  X(14, cap_transfer, 3, (CapSlot cg, CapSlot slot, u64 rights))                            \
  X(15, revoke_cap, 2, (CapSlot slot, u64 flags))                                           \
  X(16, handle_brk, 1, (VirtAddr addr))                                                     \
  X(17, handle_mprotect, 3, (VirtAddr addr, u64 len, u64 prot))                             \
  X(18, get_free_mem, 0, ())                                                                \
  X(19, wait_cap_group, 1, (CapSlot cg))                                                    \
  X(20, cap_info, 1, (CapSlot slot))                                                        \
  X(21, futex, 6,                                                                           \
    (UserPtr<u32> uaddr, u64 op, u64 val, u64 timeout, UserPtr<u32> uaddr2, u64 val3))      \
  X(22, set_tid_address, 1, (UserPtr<u32> tidptr))                                          \
  X(23, clock_gettime, 2, (u64 clk, UserPtr<chcore_timespec> ts))                           \
  X(24, clock_nanosleep, 4,                                                                 \
    (u64 clk, u64 flags, UserPtr<const chcore_timespec> req, UserPtr<chcore_timespec> rem)) \
  X(25, get_cpu, 0, ())                                                                     \
  X(26, set_affinity, 2, (CapSlot thread, i64 cpu))                                         \
  X(27, get_affinity, 1, (CapSlot thread))                                                  \
  X(28, set_priority, 2, (CapSlot thread, u64 prio))                                        \
  X(29, gettid, 0, ())                                                                      \
  X(30, console_read, 4, (UserPtr<u8> buf, u64 len, u64 flags, u64 deadline_ns))           \
  X(31, getrandom, 3, (UserPtr<u8> buf, u64 len, u64 flags))                                \
  X(32, online_cpus, 0, ())                                                                 \
  X(33, user_copy, 3, (UserPtr<u8> dst, UserPtr<const u8> src, u64 len))                   \
  X(34, set_robust_list, 2, (VirtAddr head, u64 len))                                       \
  X(35, get_robust_list, 3, (u64 tid, UserPtr<u64> head, UserPtr<u64> len))                 \
  X(36, ipc_register_server, 4,                                                             \
    (VirtAddr handler_entry, VirtAddr connect_entry, VirtAddr connect_stack, u64 tls))      \
  X(37, ipc_connect, 3, (CapSlot server, CapSlot buf_pmo, u64 arg))                         \
  X(38, ipc_accept, 4, (u64 badge, VirtAddr stack_top, u64 tls, u64 flags))                 \
  X(39, ipc_call, 6, (CapSlot conn, u64 w0, u64 w1, u64 w2, u64 w3, u64 info))              \
  X(40, ipc_return, 6, (i64 ret, u64 w0, u64 w1, u64 w2, u64 w3, u64 info))                 \
  X(41, set_copy_fixup, 3, (VirtAddr start, VirtAddr end, VirtAddr fixup))                  \
  X(42, pipe_create, 2, (UserPtr<u32> slots, u64 flags))                                   \
  X(43, pipe_read, 4, (CapSlot end, UserPtr<u8> buf, u64 len, u64 flags))                   \
  X(44, pipe_write, 4, (CapSlot end, UserPtr<const u8> buf, u64 len, u64 flags))            \
  X(45, pipe_ctl, 3, (CapSlot end, u64 op, u64 arg))                                        \
  X(46, poll, 3, (UserPtr<chcore_poll_item> items, u64 n, u64 deadline_ns))                 \
  X(48, notify_create, 0, ())                                                               \
  X(49, notify_signal, 1, (CapSlot notif))                                                  \
  X(50, notify_wait, 3, (CapSlot notif, u64 flags, u64 time_ns))                            \
  X(51, irq_create, 2, (CapSlot ctl, u64 line))                                             \
  X(52, irq_bind, 2, (CapSlot irq, CapSlot notif))                                          \
  X(53, irq_ack, 1, (CapSlot irq))                                                          \
  X(54, create_device_pmo, 3, (CapSlot ctl, PhysAddr base, u64 size))                       \
  X(55, test_irq, 1, (u64 op))                                                              \
  X(56, kill_cap_group, 2, (CapSlot cg, u64 sig))                                           \
  X(57, map_pmo_range, 6,                                                                   \
    (CapSlot cg, CapSlot pmo, VirtAddr addr, u64 prot, u64 offset, u64 len))                \
  X(58, unmap_range, 3, (CapSlot cg, VirtAddr addr, u64 len))                               \
  X(59, zero_pmo, 3, (CapSlot pmo, u64 offset, u64 len))                                    \
  X(60, test_echo, 6, (u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5))                     \
  X(61, test_exit, 2, (u64 code, u64 detail))                                               \
  X(62, fork, 2, (CapSlot cg, VirtAddr hot))                                                \
  X(63, start_thread, 1, (CapSlot thread))                                                  \
  X(64, sigaction, 3,                                                                      \
    (u64 sig, UserPtr<const chcore_sigaction> act, UserPtr<chcore_sigaction> old))         \
  X(65, sigprocmask, 3, (u64 how, UserPtr<const u64> set, UserPtr<u64> old))               \
  X(66, sigpending, 1, (UserPtr<u64> set))                                                 \
  X(67, sigaltstack, 2, (UserPtr<const chcore_stack> ss, UserPtr<chcore_stack> old))       \
  X(68, sigreturn, 0, ())                                                                  \
  X(69, sigsuspend, 1, (u64 mask))                                                         \
  X(70, sigtimedwait, 3, (u64 set, UserPtr<chcore_siginfo> info, u64 deadline_ns))         \
  X(71, signal_thread, 3, (u64 tid, u64 sig, u64 sender_pid))                              \
  X(72, signal_cap_group, 5, (CapSlot cg, u64 sig, u64 sender_pid, u64 code, u64 status))  \
  X(73, wait_cap_group_event, 1, (CapSlot cg))                                             \
  X(74, signal_thread_of, 6,                                                               \
    (CapSlot cg, u64 tid, u64 sig, u64 sender_pid, u64 code, u64 value))                   \
  X(75, set_job_control, 2, (CapSlot cg, u64 flags))                                       \
  X(80, cap_group_regions, 4,                                                              \
    (CapSlot cg, u64 first, UserPtr<chcore_region_info> out, u64 max))                     \
  X(81, cap_group_stat, 2, (CapSlot cg, UserPtr<chcore_cap_group_stat> out))               \
  X(82, mem_stat, 1, (UserPtr<chcore_mem_stat> out))                                       \
  X(83, cpu_id, 1, (UserPtr<chcore_cpu_id> out))                                           \
  X(84, cpu_time, 2, (u64 which, UserPtr<chcore_cpu_time> out))                            \
  X(85, cpu_stat, 2, (UserPtr<chcore_cpu_stat> out, u64 max))                              \
  X(88, tty_ctl, 3, (u64 op, UserPtr<u8> buf, u64 len))                                    \
  X(89, tty_signal_wait, 1, (CapSlot ctl))                                                  \
  X(90, system_power, 2, (CapSlot ctl, u64 cmd))                                            \
  X(91, timer_create, 2, (u64 clk, UserPtr<const chcore_sigevent> ev))                     \
  X(92, timer_settime, 4,                                                                  \
    (u64 id, u64 flags, UserPtr<const chcore_itimerspec> value, UserPtr<chcore_itimerspec> old)) \
  X(93, timer_gettime, 2, (u64 id, UserPtr<chcore_itimerspec> cur))                        \
  X(94, timer_delete, 1, (u64 id))                                                          \
  X(95, cap_group_read, 4, (CapSlot cg, VirtAddr addr, UserPtr<u8> buf, u64 len))          \
  X(96, set_proc_info, 1, (VirtAddr addr))                                                 \
  X(97, signal_handover, 2, (CapSlot from, CapSlot to))                                   \
  X(98, signal_start_state, 3, (CapSlot cg, u64 blocked, u64 ignored))

#ifdef __ASSEMBLER__
/* Assembly gets the same names as symbols: CHCORE_SYSCALLS(...) expands to
 * one `.equ CHCORE_SYS_name, nr` per call. */
#define CHCORE_SYS_ASM_EQU(nr, name, nargs, types) .equ CHCORE_SYS_##name, nr;
CHCORE_SYSCALLS(CHCORE_SYS_ASM_EQU)
#else
enum {
#define CHCORE_SYS_ENUM(nr, name, nargs, types) CHCORE_SYS_##name = (nr),
  CHCORE_SYSCALLS(CHCORE_SYS_ENUM)
#undef CHCORE_SYS_ENUM
};
#endif

#endif
