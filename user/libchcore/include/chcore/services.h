/* The system services as a program sees them: the service registry kept
 * by procmgr, and the connections every process is given at start.
 *
 * procmgr hands each process it starts capabilities to its own server and
 * to fsm's; their slots are in the auxiliary vector (CHCORE_AT_PROCMGR_SLOT,
 * CHCORE_AT_FSM_SLOT), never at fixed slot numbers. A server started by
 * procmgr publishes its server capability under a name; procmgr (and
 * anyone with a procmgr connection) looks it up. See docs/services.md. */
#ifndef CHCORE_SERVICES_H
#define CHCORE_SERVICES_H

#ifdef __cplusplus
extern "C" {
#endif

/* Auxiliary-vector entries (libchcore conventions, beside
 * CHCORE_AT_RAMDISK_SLOT 0x6002). */
#define CHCORE_AT_PROCMGR_SLOT 0x6003
#define CHCORE_AT_FSM_SLOT 0x6004

/* The slot of this process's capability to procmgr's / fsm's server, or
 * -ENOENT when it was not given one (a process the kernel started). */
long chcore_procmgr_cap(void);
long chcore_fsm_cap(void);

/* For procmgr only (it has no auxiliary-vector entries): sets the slots
 * the C library uses for the two services (-1: none). */
void chcore_services_set(long procmgr_slot, long fsm_slot);

/* Publishes `server_cap` (a server capability of this process) under
 * `name` (at most 31 bytes) in procmgr's registry. 0 or -errno. */
long chcore_service_publish(const char* name, long server_cap);
/* A new capability (a slot of this process) to the server published under
 * `name`, waiting until it is published. -errno on failure. */
long chcore_service_lookup(const char* name);

/* Blocks the calling thread for good: what a server's main thread does
 * once its handlers serve. */
_Noreturn void chcore_serve_forever(void);

#ifdef __cplusplus
}
#endif

#endif
