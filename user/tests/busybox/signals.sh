#!/bin/sh
# busybox.signals: the shell's child killed by every signal whose default
# action ends a process (catchable ones and SIGKILL), each seen by the
# shell as 128 + its number; a stopped and continued background job; and
# 1,000 short commands (fork, exec, wait each) leaving free memory as it
# was. Prints "[PASS] name" / "[FAIL] name" per check and "N passed, N
# failed" at the end.
passed=0
failed=0
check() { # NAME GOT WANT
  if [ "$2" = "$3" ]; then
    echo "[PASS] $1"
    passed=$((passed + 1))
  else
    echo "[FAIL] $1: got '$2', want '$3'"
    failed=$((failed + 1))
  fi
}

# Each child signals itself (a background job of a script ignores SIGINT
# and SIGQUIT, as POSIX says; a foreground one does not). ash itself always
# ignores SIGQUIT (as bash does): a program that is not a shell gets it,
# from BusyBox's timeout.
timeout -s QUIT 1 sleep 100
check killed_by_QUIT "$?" 131
for s in HUP INT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM \
         STKFLT XCPU XFSZ VTALRM PROF IO PWR SYS; do
  n=$(kill -l $s)
  sh -c "kill -$s \$\$; sleep 5"
  check "killed_by_$s" "$?" "$((128 + n))"
done

# Ignored by default: the child lives on and exits normally.
for s in CHLD CONT URG WINCH; do
  sh -c "kill -$s \$\$; exit 7"
  check "ignored_$s" "$?" 7
done

# A background job stopped, continued, then ended.
sleep 100 &
p=$!
kill -STOP $p
kill -CONT $p
kill -TERM $p
wait $p
check stopped_continued_terminated "$?" 143

# 1,000 commands: free memory as before (after a warm-up). A round that
# takes memory is run again, up to three times: a pool or slab reaching a
# new peak takes memory once, a leak in every round (as the C tests'
# ut_rounds_until_steady).
i=0
while [ $i -lt 50 ]; do /bin/true; i=$((i + 1)); done
before=$(/tests/freemem)
round=1
while :; do
  i=0
  while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done
  after=$(/tests/freemem)
  if [ "$after" = "$before" ] || [ $round -ge 3 ]; then break; fi
  echo "thousand_commands: round $round took $((before - after)) bytes; running it again"
  before=$after
  round=$((round + 1))
done
check thousand_commands_no_leak "$after" "$before"

echo "$passed passed, $failed failed"
exit $failed
