# args: --console /dev/null --cpus 2
# An instance's own files (init_tracer_tracefs for a new trace_array): its tracer, filters, events,
# options, buffer, clock, marker and per_cpu files act on its buffer alone; the top-level-only files
# (README, available_filter_functions, the graph filters, the top-level-only options) are not there.
mkdir instances/a
ls instances/a/per_cpu/cpu1
cat instances/a/available_tracers
grep -c . instances/a/available_events
echo 8 > instances/a/per_cpu/cpu1/buffer_size_kb
cat instances/a/per_cpu/cpu1/buffer_size_kb
cat instances/a/buffer_size_kb
cat instances/a/buffer_total_size_kb
echo 8 > instances/a/buffer_size_kb
cat instances/a/buffer_size_kb
cat instances/a/trace_clock
echo global > instances/a/trace_clock
cat instances/a/trace_clock
cat trace_clock
echo nosuch > instances/a/trace_clock
cat instances/a/tracing_cpumask
echo 1 > instances/a/tracing_cpumask
cat instances/a/tracing_cpumask
cat tracing_cpumask
echo 3 > instances/a/tracing_cpumask
echo 'vfs_*' > instances/a/set_ftrace_filter
cat instances/a/set_ftrace_filter
echo vfs_write > instances/a/set_ftrace_notrace
cat instances/a/set_ftrace_notrace
cat set_ftrace_filter
echo no_such_function > instances/a/set_ftrace_filter
echo no_such_function > instances/a/set_ftrace_notrace
cat instances/a/set_ftrace_filter
echo 1 > instances/a/set_ftrace_pid
cat instances/a/set_ftrace_pid
echo 1 > instances/a/set_ftrace_notrace_pid
cat instances/a/set_ftrace_notrace_pid
echo > instances/a/set_ftrace_notrace_pid
echo abc > instances/a/set_ftrace_pid
cat set_ftrace_pid
# the event pid lists are the instance's own too (an empty list reads nothing)
echo 2 3 > instances/a/set_event_pid
cat instances/a/set_event_pid
cat set_event_pid | wc -l
echo 1 > instances/a/set_event_notrace_pid
cat instances/a/set_event_notrace_pid
echo x >> instances/a/set_event_notrace_pid
cat instances/a/set_event_notrace_pid
echo sched:sched_switch > instances/a/set_event
cat instances/a/set_event
cat instances/a/events/sched/sched_switch/enable
cat events/sched/sched_switch/enable
cat instances/a/events/enable
cat instances/a/events/sched/enable
echo 'prev_pid == 0' > instances/a/events/sched/filter
cat instances/a/events/sched/sched_switch/filter
echo 0 > instances/a/events/sched/filter
echo traceoff > instances/a/events/sched/sched_switch/trigger
cat instances/a/events/sched/sched_switch/trigger
echo '!traceoff' > instances/a/events/sched/sched_switch/trigger
cat instances/a/events/sched/sched_switch/id
head -n 3 instances/a/events/sched/sched_switch/format
head -n 1 instances/a/events/header_page
head -n 1 instances/a/events/header_event
echo 0 > instances/a/events/enable
cat instances/a/events/sched/sched_switch/enable
echo 1 > instances/a/events/irq_vectors/local_timer_entry/enable
echo 2 > instances/a/events/irq_vectors/local_timer_entry/enable
echo 0 > instances/a/events/irq_vectors/local_timer_entry/enable
echo sched:no_such_event > instances/a/set_event
echo 0 > instances/a/options/print-parent
grep print-parent instances/a/trace_options
grep print-parent trace_options
grep . instances/a/options/* | grep -c -v -E ':[01]$'
cat instances/a/options/record-cmd
cat instances/a/README
cat instances/a/available_filter_functions
cat instances/a/set_graph_function
echo function > instances/a/current_tracer
run 1200us
echo 0 > instances/a/tracing_on
grep -v '^#' instances/a/trace | head -n 1
grep -v '^#' instances/a/per_cpu/cpu0/trace | grep -c -v ' \[000\] '
grep -c -v '^#' trace
grep -c '^entries: [1-9]' instances/a/per_cpu/cpu0/stats
grep -c -v '^#' instances/a/per_cpu/cpu0/trace | grep -c -v '^0$'
cat instances/a/per_cpu/cpu0/trace_pipe_raw | wc -c | grep -c -v '^0$'
grep -c . instances/a/per_cpu/cpu0/trace_pipe | grep -c -v '^0$'
grep -c '^entries: 0$' instances/a/per_cpu/cpu0/stats
echo nop > instances/a/current_tracer
echo 1 > instances/a/tracing_on
echo hello > instances/a/trace_marker
grep -c hello instances/a/trace_pipe
grep -c hello trace
echo again > instances/a/trace_marker
echo 1 > instances/a/snapshot
grep -c again instances/a/trace
grep -c again instances/a/snapshot
grep -c again instances/a/per_cpu/cpu0/snapshot
cat instances/a/per_cpu/cpu0/snapshot_raw | wc -c | grep -c -v '^0$'
echo 0 > instances/a/per_cpu/cpu0/snapshot
echo 2 > instances/a/snapshot
echo 5 > instances/a/snapshot
echo 0 > instances/a/snapshot
echo x > instances/a/error_log
echo 'a ==' > instances/a/events/sched/sched_switch/filter
tail -n 3 instances/a/error_log
echo > instances/a/error_log
cat instances/a/error_log
echo 1 > instances/a/options/disable_on_free
echo 1 > instances/a/free_buffer
cat instances/a/tracing_on
cat instances/a/buffer_size_kb
rmdir instances/a
