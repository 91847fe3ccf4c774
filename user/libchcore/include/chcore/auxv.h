/* The process's start-up information: argc/argv/envp as main() got them and
 * the auxiliary vector, recorded by crt0 before main runs. */
#ifndef CHCORE_AUXV_H
#define CHCORE_AUXV_H

#ifdef __cplusplus
extern "C" {
#endif

/* Linux's auxiliary-vector types (the ones ChCore uses). */
#ifndef AT_NULL
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_ENTRY 9
#define AT_HWCAP 16
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#endif

/* ChCore's own entries: CHCORE_AT_RAMDISK_SIZE (uapi/object.h, given by the
 * kernel to the first process and by chcore_spawn to its children) and
 * CHCORE_AT_RAMDISK_SLOT (chcore/launch.h, user-space only). */

extern int chcore_argc;
extern char** chcore_argv;
extern char** chcore_envp;
extern unsigned long* chcore_auxv; /* (type, value) pairs up to AT_NULL */

/* The value of the first auxv entry of this type, or 0 if there is none
 * (like glibc's getauxval, which also returns 0 for "absent"). */
unsigned long chcore_getauxval(unsigned long type);

/* The value of NAME in the environment ("NAME=value"), or NULL. */
const char* chcore_getenv(const char* name);

#ifdef __cplusplus
}
#endif

#endif
