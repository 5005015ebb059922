# args: --console /dev/null --cpus 1
# exit: 1
# A system's filter file (events/SYS/filter: subsystem_filter_read/write, apply_subsystem_event_filter):
# a filter set on the system goes to each event that has the fields, the system file keeps its default
# text, 0 clears; an event that cannot take it shows the subsystem error instead, and the write succeeds
# even when no event can (process_system_preds). And a per-CPU trace_pipe: a consuming read of one CPU's buffer.
cat events/sched/filter
echo 'prev_pid == 0' > events/sched/filter
cat events/sched/filter
cat events/sched/sched_switch/filter
echo 0 > events/sched/filter
cat events/sched/sched_switch/filter
cat events/sched/sched_process_exit/filter
echo 'no_such_field == 1' > events/sched/filter
cat events/sched/sched_switch/filter
cat error_log | tail -n 3
echo 'vector == 236' > events/irq_vectors/filter
cat events/irq_vectors/local_timer_entry/filter
echo 0 > events/irq_vectors/filter
cat events/irq_vectors/local_timer_entry/filter
echo 1 > events/irq_vectors/enable
run 10ms
echo 0 > events/irq_vectors/enable
echo 0 > tracing_on
grep -c local_timer_entry per_cpu/cpu0/trace | grep -c -v '^0$'
grep -c local_timer_entry per_cpu/cpu0/trace_pipe | grep -c -v '^0$'
grep -c local_timer_entry per_cpu/cpu0/trace
echo x > per_cpu/cpu0/trace_pipe
