# args: --console /dev/null --cpus 2
# set_event_pid / set_event_notrace_pid (event-pid.tc): empty lists read nothing; `>` replaces, `>>` adds;
# a bad pid is EINVAL and changes nothing; with pid 1 (init) listed and event-fork on, init's children
# join the list as it forks them (their events are kept), and each task leaves it once freed: after
# the workload every task has exited, so the list ends empty. userstacktrace puts an empty <user stack trace> after each event (kernel threads have no user
# stack: no ` => ` frames). The ftrace system's entries: formats only, an id for function and print.
cat set_event_pid
cat set_event_notrace_pid
echo 3 > set_event_pid
echo '9 7' >> set_event_pid
cat set_event_pid
echo 'x' >> set_event_pid
cat set_event_pid
echo 1 > set_event_pid
echo 1 > options/event-fork
echo 1 > options/userstacktrace
echo 'sched:sched_process_fork sched:sched_switch sched:sched_process_exit' > set_event
run 10ms
grep -v '^#' trace | head -n 8
grep -c ' <user stack trace>$' trace
grep -v '^#' trace | grep -c -v ' <user stack trace>$'
grep -c ' => ' trace
grep -c '^ *kworker/0:2-2 ' trace
grep -c 'sched_process_exit: comm=kworker' trace
cat set_event_pid
ls events/ftrace
ls events/ftrace/function
ls events/ftrace/funcgraph_exit
cat events/ftrace/funcgraph_entry/format
cat events/ftrace/user_stack/format
