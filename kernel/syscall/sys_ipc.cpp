// IPC system calls: capability checks, then kernel/ipc/ (docs/ipc.md).
#include "ipc/ipc.h"
#include "object/cap_group.h"
#include "syscall/syscall.h"

namespace kern {

namespace {
// Capability descriptors travel in x6, beyond the six argument registers.
VirtAddr cap_descs() { return VirtAddr{current_thread()->ctx.x[6]}; }
}  // namespace

SysResult sys_ipc_register_server(VirtAddr handler_entry, VirtAddr connect_entry,
                                  VirtAddr connect_stack, u64 tls) {
  return ipc_register_server(handler_entry, connect_entry, connect_stack, tls);
}

SysResult sys_ipc_connect(CapSlot server, CapSlot buf_pmo, u64 arg) {
  Ref<IpcServer> srv = TRY(cap_lookup<IpcServer>(server, CHCORE_RIGHT_WRITE));
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(buf_pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE));
  return ipc_connect(static_cast<Ref<IpcServer>&&>(srv), static_cast<Ref<Pmo>&&>(pmo), buf_pmo,
                     arg);
}

SysResult sys_ipc_accept(u64 badge, VirtAddr stack_top, u64 tls, u64 flags) {
  return ipc_accept(badge, stack_top, tls, flags);
}

SysResult sys_ipc_call(CapSlot conn, u64 w0, u64 w1, u64 w2, u64 w3, u64 info) {
  Object* c = TRY(cap_get(current_group(), conn.value, ObjType::Connection, CHCORE_RIGHT_WRITE));
  return ipc_call(static_cast<Connection*>(c), w0, w1, w2, w3, info, cap_descs());
}

SysResult sys_ipc_return(i64 ret, u64 w0, u64 w1, u64 w2, u64 w3, u64 info) {
  return ipc_return(ret, w0, w1, w2, w3, info, cap_descs());
}

}  // namespace kern
