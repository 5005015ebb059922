# args: --console /dev/null --cpus 1
# exit: 1
# The read-only listings of dynamic ftrace (ftrace.c): available_filter_functions, dyn_ftrace_total_info,
# enabled_functions and touched_functions before and after a filter is used; available_events. Each
# refuses a write (no write handler: the open succeeds for root, the write is -EINVAL).
grep -c . available_filter_functions
grep '^vfs_read$' available_filter_functions
grep -c '^no_such_function$' available_filter_functions
head -n 1 dyn_ftrace_total_info | grep -c '^311 pages:'
tail -n 2 dyn_ftrace_total_info
cat enabled_functions
cat touched_functions
echo vfs_read > set_ftrace_filter
echo function > current_tracer
cat enabled_functions
cat touched_functions
echo nop > current_tracer
cat enabled_functions
cat touched_functions
echo > set_ftrace_filter
grep -c . available_events
grep -E '^(sched:sched_switch|irq_vectors:local_timer_entry|nmi:nmi_handler)$' available_events
echo vfs_read > available_filter_functions
echo x > dyn_ftrace_total_info
echo x > enabled_functions
echo x > touched_functions
echo sched:sched_switch > available_events
