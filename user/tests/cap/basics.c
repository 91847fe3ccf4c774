/* cap.basics: capabilities as a program sees them: copies narrow rights,
 * cap_info reports them, transfers reach another process, revocation takes
 * effect everywhere, and slot numbers mean nothing outside their process. */
#define UT_SUITE "caps"
#include <chcore/launch.h>
#include <chcore/thread.h>

#include "protocol.h"
#include "utest.h"

#define PMO_RIGHTS (CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE | CHCORE_RIGHT_EXEC | CHCORE_RIGHT_COPY)

static long rights_of(long slot) {
  long info = chcore_sys_cap_info((unsigned long)slot);
  return info < 0 ? info : (long)CHCORE_CAP_INFO_RIGHTS(info);
}

static void test_info(void) {
  long self = chcore_sys_cap_info(CHCORE_SLOT_SELF);
  UT_EQ("info.self_is_cap_group", CHCORE_CAP_INFO_TYPE(self), CHCORE_OBJ_CAP_GROUP);
  UT_EQ("info.self_has_all_rights", CHCORE_CAP_INFO_RIGHTS(self), CHCORE_RIGHTS_ALL);
  long pmo = UT_OK("info.create_pmo", chcore_sys_create_pmo(4096, CHCORE_PMO_DATA));
  long info = chcore_sys_cap_info((unsigned long)pmo);
  UT_EQ("info.pmo_is_pmo", CHCORE_CAP_INFO_TYPE(info), CHCORE_OBJ_PMO);
  UT_EQ("info.new_pmo_rights", CHCORE_CAP_INFO_RIGHTS(info) & PMO_RIGHTS, PMO_RIGHTS);
  UT_EQ("info.release", chcore_cap_release(pmo), 0);
  UT_ERR("info.released_slot_is_empty", chcore_sys_cap_info((unsigned long)pmo), CHCORE_EBADF);
}

static void test_copy(void) {
  static const char data[] = "capability data";
  char buf[sizeof(data)];
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  UT_EQ("copy.write_original", chcore_sys_write_pmo(pmo, 0, (unsigned long)data, sizeof(data)), 0);

  long ro =
      UT_OK("copy.read_only", chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY));
  UT_TRUE("copy.new_slot", ro != pmo);
  UT_EQ("copy.rights_narrowed", rights_of(ro), CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  UT_ERR("copy.write_through_read_only", chcore_sys_write_pmo(ro, 0, (unsigned long)data, 4),
         CHCORE_EACCES);
  memset(buf, 0, sizeof(buf));
  UT_EQ("copy.read_through_read_only", chcore_sys_read_pmo(ro, 0, (unsigned long)buf, sizeof(buf)),
        0);
  UT_EQ("copy.same_object", memcmp(buf, data, sizeof(data)), 0);

  /* A copy can only narrow: asking for everything gives what the source had. */
  long again = UT_OK("copy.widen_attempt", chcore_sys_cap_copy(ro, CHCORE_RIGHTS_ALL));
  UT_EQ("copy.cannot_widen", rights_of(again), CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  UT_ERR("copy.widened_copy_cannot_write", chcore_sys_write_pmo(again, 0, (unsigned long)data, 4),
         CHCORE_EACCES);

  /* Without COPY, no further copies or transfers. */
  long nocopy = UT_OK("copy.without_copy_right", chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ));
  UT_EQ("copy.without_copy_rights", rights_of(nocopy), CHCORE_RIGHT_READ);
  UT_ERR("copy.copy_needs_copy_right", chcore_sys_cap_copy(nocopy, CHCORE_RIGHT_READ),
         CHCORE_EACCES);
  UT_ERR("copy.transfer_needs_copy_right",
         chcore_sys_cap_transfer(CHCORE_SLOT_SELF, nocopy, CHCORE_RIGHT_READ), CHCORE_EACCES);

  /* A copy of our own cap_group without CONTROL cannot create threads or map. */
  long weak_self =
      UT_OK("copy.self_without_control",
            chcore_sys_cap_copy(CHCORE_SLOT_SELF, CHCORE_RIGHTS_ALL & ~CHCORE_RIGHT_CONTROL));
  unsigned long va = chcore_vm_reserve(4096);
  UT_ERR("copy.map_needs_control", chcore_sys_map_pmo(weak_self, pmo, va, CHCORE_PROT_READ),
         CHCORE_EACCES);
  UT_EQ("copy.map_with_control", chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, va, CHCORE_PROT_READ),
        0);
  UT_EQ("copy.mapped_data", memcmp((const void*)va, data, sizeof(data)), 0);
  UT_EQ("copy.unmap", chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, pmo, va), 0);

  /* Revoking one copy leaves the original and the other copies alone. */
  UT_EQ("revoke.one_copy", chcore_sys_revoke_cap(ro, CHCORE_REVOKE_SELF), 0);
  UT_ERR("revoke.copy_slot_invalid", chcore_sys_cap_info(ro), CHCORE_EBADF);
  UT_ERR("revoke.copy_unusable", chcore_sys_read_pmo(ro, 0, (unsigned long)buf, 4), CHCORE_EBADF);
  UT_EQ("revoke.original_still_works", chcore_sys_read_pmo(pmo, 0, (unsigned long)buf, 4), 0);
  UT_EQ("revoke.copy_of_copy_stays", chcore_sys_read_pmo(again, 0, (unsigned long)buf, 4), 0);

  chcore_cap_release(again);
  chcore_cap_release(nocopy);
  chcore_cap_release(weak_self);
  chcore_cap_release(pmo);
}

static void test_derived(void) {
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  long c1 = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  long c2 = chcore_sys_cap_copy(c1, CHCORE_RIGHT_READ); /* a copy of a copy */
  long c3 = chcore_sys_cap_copy(pmo, CHCORE_RIGHTS_ALL);
  UT_TRUE("derived.copies_made", pmo >= 0 && c1 >= 0 && c2 >= 0 && c3 >= 0);
  UT_EQ("derived.revoke", chcore_sys_revoke_cap(pmo, CHCORE_REVOKE_DERIVED), 0);
  UT_ERR("derived.copy_gone", chcore_sys_cap_info(c1), CHCORE_EBADF);
  UT_ERR("derived.copy_of_copy_gone", chcore_sys_cap_info(c2), CHCORE_EBADF);
  UT_ERR("derived.full_rights_copy_gone", chcore_sys_cap_info(c3), CHCORE_EBADF);
  char buf[4];
  UT_EQ("derived.original_kept", chcore_sys_read_pmo(pmo, 0, (unsigned long)buf, 4), 0);
  /* Revoking the derived caps of a copy leaves its source alone. */
  long d1 = chcore_sys_cap_copy(pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  long d2 = chcore_sys_cap_copy(d1, CHCORE_RIGHT_READ);
  UT_EQ("derived.revoke_below_copy", chcore_sys_revoke_cap(d1, CHCORE_REVOKE_DERIVED), 0);
  UT_ERR("derived.below_copy_gone", chcore_sys_cap_info(d2), CHCORE_EBADF);
  UT_OK("derived.copy_itself_kept", chcore_sys_cap_info(d1));
  UT_OK("derived.source_of_copy_kept", chcore_sys_cap_info(pmo));
  chcore_cap_release(d1);
  chcore_cap_release(pmo);
}

/* A slot that is valid in another process means nothing here. */
static void test_foreign_slot(void) {
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  long other = UT_OK("foreign.create_cap_group",
                     chcore_sys_create_cap_group((unsigned long)"caps-other", 10, 0));
  if (other < 0) return;
  long theirs = -1;
  for (int i = 0; i < 64; i++) {
    long s = chcore_sys_cap_transfer(other, pmo, CHCORE_RIGHT_READ);
    if (s < 0) {
      UT_OK("foreign.transfer", s);
      break;
    }
    if (chcore_sys_cap_info(s) == -CHCORE_EBADF) {
      theirs = s;
      break;
    }
  }
  UT_TRUE("foreign.found_slot_free_here", theirs > 0);
  if (theirs > 0) {
    char buf[4];
    UT_ERR("foreign.slot_invalid_here", chcore_sys_read_pmo(theirs, 0, (unsigned long)buf, 4),
           CHCORE_EBADF);
    UT_ERR("foreign.cap_info_invalid_here", chcore_sys_cap_info(theirs), CHCORE_EBADF);
  }
  chcore_cap_release(other);
  chcore_cap_release(pmo);
}

/* Transfer to a real child, which uses the capability by the slot number it
 * gets in argv; then revoke everything derived and watch the child lose it. */
static void test_transfer_to_child(void) {
  long shared = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  static const char hello[] = "ping from parent";
  chcore_sys_write_pmo(shared, CAPP_TO_CHILD, (unsigned long)hello, sizeof(hello));

  const void* elf;
  unsigned long size;
  if (UT_EQ("child.found", chcore_ramdisk_find("/tests/cap_child", &elf, &size), 0) == 0) return;
  struct chcore_launch l;
  if (UT_EQ("child.load", chcore_launch_load(&l, elf, size, "cap_child"), 0) == 0) return;
  long their_slot = UT_OK(
      "child.transfer", chcore_launch_transfer(&l, shared, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE));
  if (their_slot < 0) {
    chcore_launch_abort(&l);
    return;
  }
  char slot_arg[24];
  snprintf(slot_arg, sizeof(slot_arg), "%ld", their_slot);
  const char* argv[] = {"/tests/cap_child", slot_arg, 0};
  long child = UT_OK("child.start", chcore_launch_start(&l, argv, 0));
  if (child < 0) return;

  /* The child replies, then waits for the revocation. */
  unsigned long state = 0;
  for (long i = 0; i < 1000000 && state != 1; i++) {
    chcore_sys_yield();
    chcore_sys_read_pmo(shared, CAPP_STATE, (unsigned long)&state, sizeof(state));
  }
  UT_EQ("child.replied", state, 1);
  char reply[CAPP_MSG_MAX + 16];
  chcore_sys_read_pmo(shared, CAPP_TO_PARENT, (unsigned long)reply, sizeof(reply));
  reply[sizeof(reply) - 1] = '\0';
  if (!UT_EQ("child.data_visible_both_ways", strcmp(reply, "child saw: ping from parent"), 0))
    printf("caps: the child's reply was \"%s\"\n", reply);
  long info = 0;
  chcore_sys_read_pmo(shared, CAPP_INFO, (unsigned long)&info, sizeof(info));
  UT_EQ("child.sees_a_pmo", CHCORE_CAP_INFO_TYPE(info), CHCORE_OBJ_PMO);
  UT_EQ("child.sees_narrowed_rights", CHCORE_CAP_INFO_RIGHTS(info),
        CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE);

  /* Revoke everything derived from `shared`: a local copy and the child's. */
  long copy = chcore_sys_cap_copy(shared, CHCORE_RIGHT_READ);
  UT_EQ("child.revoke_derived", chcore_sys_revoke_cap(shared, CHCORE_REVOKE_DERIVED), 0);
  UT_ERR("child.local_copy_gone", chcore_sys_cap_info(copy), CHCORE_EBADF);
  UT_OK("child.original_kept", chcore_sys_cap_info(shared));
  long status = chcore_wait(child);
  if (!UT_EQ("child.lost_the_capability", status, CAPC_OK))
    printf("caps: cap_child exit status %ld (see tests/cap_protocol.h)\n", status);
  chcore_cap_release(shared);
}

int main(void) {
  test_info();
  test_copy();
  test_derived();
  test_foreign_slot();
  test_transfer_to_child();
  return ut_finish();
}
