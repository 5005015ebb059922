# args: --console /dev/null --cpus 1
# set_ftrace_pid / set_ftrace_notrace_pid (func-filter-pid.tc, func-filter-notrace-pid.tc): the pid read off
# the trace (init, pid 1, the only task this early) is traced alone; another pid traces nothing;
# notrace_pid removes it; a pid in both lists is not traced; `no pid`; bad pids are EINVAL.
cat set_ftrace_pid
cat set_ftrace_notrace_pid
echo 'fput' > set_ftrace_filter
echo function > current_tracer
run 800us
grep -v '^#' trace | head -n 2
echo 1 > set_ftrace_pid
cat set_ftrace_pid
echo > trace
run 100us
grep -c -v '^#' trace | grep -c -v '^0$'
grep -v '^#' trace | grep -c -v ' init-1 '
echo 2 > set_ftrace_pid
echo > trace
run 100us
grep -c -v '^#' trace
echo 1 > set_ftrace_pid
echo 1 > set_ftrace_notrace_pid
cat set_ftrace_notrace_pid
echo > trace
run 100us
grep -c -v '^#' trace
echo > set_ftrace_pid
cat set_ftrace_pid
echo > trace
run 100us
grep -c -v '^#' trace
echo > set_ftrace_notrace_pid
cat set_ftrace_notrace_pid
echo > trace
run 100us
grep -c -v '^#' trace | grep -c -v '^0$'
echo 1 > set_ftrace_pid
echo 99999 >> set_ftrace_pid
cat set_ftrace_pid
echo abc > set_ftrace_pid
echo $?
cat set_ftrace_pid
echo 1 > set_ftrace_pid
echo -1 >> set_ftrace_pid
echo $?
cat set_ftrace_pid
echo abc > set_ftrace_notrace_pid
echo $?
echo > set_ftrace_pid
cat set_ftrace_pid
echo nop > current_tracer
