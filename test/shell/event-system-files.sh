# args: --console /dev/null --cpus 1
# exit: 1
# A system's filter file (events/SYS/filter: subsystem_filter_read/write, apply_subsystem_event_filter):
# a filter set on the system goes to each event that has the fields, the system file keeps its default
# text, 0 clears; a filter no event of the system can take is -EINVAL. And a per-CPU trace_pipe: a
# consuming read of one CPU's buffer.
cat events/sched/filter
echo 'prev_pid == 0' > events/sched/filter
cat events/sched/filter
cat events/sched/sched_switch/filter
echo 0 > events/sched/filter
cat events/sched/sched_switch/filter
echo 'no_such_field == 1' > events/sched/filter
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
