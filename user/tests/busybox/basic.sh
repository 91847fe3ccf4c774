#!/bin/sh
# busybox.basic: BusyBox's shell and applets on ChCore, each result compared
# with the text Linux gives. Prints "[PASS] name" or "[FAIL] name" (with
# both texts) per check and "N passed, N failed" at the end, like the C
# tests (user/tests/utest.h); exits with the number of failures.
W=/tmp/busybox.basic
# One line per check: check runs at the end of pipelines, in a subshell,
# so the counts are kept in a file.
R=/tmp/busybox.basic.results
rm -rf $W $R && mkdir -p $W && cd $W || exit 99

# check NAME EXPECTED: compares stdin with EXPECTED.
check() {
  got=$(cat)
  if [ "$got" = "$2" ]; then
    echo "[PASS] $1"
    echo pass >>$R
  else
    echo "[FAIL] $1"
    echo "--- expected"
    echo "$2"
    echo "--- got"
    echo "$got"
    echo fail >>$R
  fi
}

# --- The shell -------------------------------------------------------------------
echo hello | check echo "hello"
printf '%s-%03d|%x\n' a 7 255 | check printf "a-007|ff"
echo 'a b c' | tr ' ' '\n' | sort -r | check pipeline "c
b
a"
{ echo out; echo err >&2; } 2>&1 >/dev/null | check redirect_swap "err"
echo one >f; echo two >>f; cat <f | check redirect_append "one
two"
exec 3>g; echo via3 >&3; exec 3>&-; cat g | check redirect_fd "via3"
cat <<EOT | check heredoc "x=1
\$y"
x=$((0 + 1))
\$y
EOT
(cd /; pwd) | check subshell "/"
echo "[$(echo inner | tr a-z A-Z)]" | check command_substitution "[INNER]"
sq() { echo $(($1 * $1)); }
sq 12 | check function "144"
for i in 1 2 3; do echo -n "$i "; done | check for "1 2 3 "
i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo $i | check while "3"
for w in apple x; do case $w in a*) echo A;; *) echo other;; esac; done | check case "A
other"
false; echo $? | check status_false "1"
sh -c 'exit 7'; echo $? | check status_exit "7"
sh -c 'set -e; true; false; echo not-reached'; echo $? | check set_e "1"
sh -c 'trap "echo trapped" EXIT; echo body' | check trap_exit "body
trapped"
(sleep 1; exit 3) & wait $!; echo "waited $?" | check background_wait "waited 3"
sleep 10 & pid=$!; kill $pid; wait $pid; echo $? | check kill_wait "143"

# --- Files -------------------------------------------------------------------------
mkdir -p d/e/f && touch d/e/f/x && ls d/e/f | check mkdir_p "x"
echo data >d/file; cp -a d d2 && cat d2/file | check cp_a "data"
mv d2 d3 && ls -d d2 d3 2>/dev/null | check mv "d3"
ln -s $W/d/file lnk && { cat lnk; readlink lnk; } | check ln_s "data
$W/d/file"
ls -la lnk | cut -c1 | check ls_la_link "l"
stat -c '%s %F' d/file | check stat "5 regular file"
rm -rf d3 d/e/f/x && rmdir d/e/f && ls d/e | check rm_rmdir ""
printf 'a\nbb\nccc\n' >w; wc -l <w | check wc_l "3"
wc -c <w | check wc_c "9"
seq 1 10 | head -n 3 | check head "1
2
3"
seq 1 10 | tail -n 2 | check tail "9
10"
printf 'foo\nbar\nbaz\n' | grep -E '^ba(r|z)$' | check grep_E "bar
baz"
printf 'hello world\n' >s; sed -i 's/world/there/' s; cat s | check sed_i "hello there"
printf '1 2\n3 4\n' | awk '{ s += $1 * $2 } END { print s }' | check awk "14"
printf 'b\na\nb\nc\n' | sort | uniq -c | awk '{ print $1 $2 }' | check sort_uniq "1a
2b
1c"
echo a:b:c | cut -d: -f2,3 | check cut "b:c"
echo hello | tr a-y b-z | check tr "ifmmp"
find $W/d -name file | check find_name "$W/d/file"
find $W/d -name file -exec cat {} \; | check find_exec "data"
echo $W/d/file | xargs cat | check xargs "data"
echo teed | tee t1 >/dev/null; cat t1 | check tee "teed"
printf 'a\nb\n' >x1; printf 'a\nc\n' >x2
diff x1 x2 | tail -n 2 | check diff "-b
+c"
{ cmp x1 x2; echo $?; } | check cmp "x1 x2 differ: char 3, line 2
1"
echo abc | md5sum | check md5sum "0bee89b07a248e27c83fc3d5951213c1  -"
echo abc | sha256sum | check sha256sum "edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb  -"
echo abc | hexdump -C | check hexdump "00000000  61 62 63 0a                                       |abc.|
00000004"
# tail -f follows a file that another process appends to (it looks once a
# second); the check waits for the three lines, 30 s at most.
(for i in 1 2 3; do echo line$i >>grow; sleep 1; done) &
tail -f grow >tailed &
tp=$!
n=0
while [ "$(wc -l <tailed)" -lt 3 ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
kill $tp
wait
cat tailed | check tail_f "line1
line2
line3"
seq 3 | less | tail -n 1 | check less_not_a_tty "3"
mkdir tt && echo x >tt/x && tar cf t.tar tt && rm -rf tt && tar xf t.tar && cat tt/x | check tar "x"
seq 1000 >z && gzip z && [ ! -e z ] && gunzip z.gz && tail -n 1 z | check gzip_gunzip "1000"
tar czf t.tgz tt && rm -rf tt && tar xzf t.tgz && cat tt/x | check tar_z "x"

# --- Small tools and the system -----------------------------------------------------------
sleep 1; echo $? | check sleep "0"
true && ! false && echo ok | check true_false "ok"
env A=1 env | grep '^A=' | check env "A=1"
basename /a/b/c.txt .txt | check basename "c"
dirname /a/b/c.txt | check dirname "/a/b"
which sh | check which "/bin/sh"
id | check id "uid=0(root) gid=0(root)"
seq 3 5 | check seq "3
4
5"
yes | head -n 2 | check yes_head "y
y"
uname -s | check uname "ChCore"
hostname | check hostname "$(uname -n)"
date +%Y | grep -cE '^[0-9]{4}$' | check date "1"
uptime | grep -c 'load average' | check uptime "1"
free | awk 'NR == 2 { print $1 }' | check free "Mem:"
df / | awk 'NR == 2 { print $NF }' | check df "/"
mount | grep -c ' on /proc type proc ' | check mount "1"
ps | awk '$NF == "ps" { n++ } END { print n }' | check ps "1"
top -n 1 -b | grep -c '^Mem:' | check top "1"
( time true ) 2>&1 | grep -c '^real' | check time "1"

# --- The terminal and /proc/<pid>/fd ---------------------------------------------
# tty reads /proc/self/fd/0 (ttyname); fd 0 here is the console.
tty | check tty "/dev/console"
# A file opened by the shell, inherited by readlink: its absolute path.
: >fdlink
(exec 7<fdlink && readlink /proc/self/fd/7) | check proc_fd_link "$W/fdlink"
# ls's own fd 3 (its opendir) is there, as on Linux.
ls /proc/self/fd </dev/null | sort -n | tr '\n' ' ' | check proc_fd_list "0 1 2 3 "

passed=$(grep -c pass $R)
failed=$(grep -c fail $R)
cd / && rm -rf $W $R
echo "$passed passed, $failed failed"
exit $failed
