# args: --console /dev/null --cpus 1
# snapshot (snapshot.tc): freed, allocated (help text), 1 swaps, 2 clears, 0 frees; tracing_on untouched;
# error_log collects the event filter errors and `echo >` clears it; bad values everywhere.
head -n 4 snapshot
echo 1 > snapshot
cat tracing_on
head -n 4 snapshot
echo kmem_cache_alloc > set_ftrace_filter
echo function > current_tracer
run 1200us
grep -c -v '^#' trace | grep -c -v '^0$'
echo 1 > snapshot
grep -c -v '^#' snapshot | grep -c -v '^0$'
grep -c ': kmem_cache_alloc <-' snapshot | grep -c -v '^0$'
grep -c -v '^#' trace
echo 2 > snapshot
grep -c -v '^#' snapshot
head -n 4 snapshot
echo x > snapshot
echo $?
echo 0 > snapshot
head -n 4 snapshot
echo 2 > snapshot
echo $?
echo nop > current_tracer
echo > error_log
cat error_log
echo 'bogus ~' > events/sched/sched_switch/filter
echo 'x == 1' > events/sched/sched_wakeup/filter
grep -c 'event filter parse error' error_log
grep -c '^  Command: ' error_log
echo > error_log
cat error_log
echo 0 > events/sched/sched_switch/filter
echo 0 > events/sched/sched_wakeup/filter
echo 3 > tracing_on
echo $?
echo 5 > tracing_on
cat tracing_on
echo 1 > tracing_on
echo '' > current_tracer
echo $?
cat current_tracer
echo 'nop ' > current_tracer
echo $?
