# args: --console /dev/null --cpus 2 --nmi-rate 20
# Interrupt events: nmi:nmi_handler (the guest's NMI handler, in NMI context), the call-function IPIs of
# text patching, the reschedule IPI that wakes the idle CPU 1 for the workload's first task; and
# sched_switch's prev_state: R+ when preempted, R for a yield, X for an exit.
cat events/nmi/nmi_handler/format
cat events/irq_vectors/reschedule_entry/format
cat events/nmi/enable
run 2ms
grep -c nmi_handler: trace
echo 'irq_vectors:call_function_entry irq_vectors:call_function_exit' > set_event
echo function > current_tracer
echo schedule > set_ftrace_filter
grep call_function_ trace | head -n 2
grep -c call_function_single trace
echo nop > current_tracer
echo 'nmi:nmi_handler irq_vectors:reschedule_entry irq_vectors:reschedule_exit sched:sched_switch sched:sched_process_exit' > set_event
cat set_event
run 10ms
grep -c nmi_handler: trace | grep -c -v '^0$'
grep nmi_handler: trace | grep -c -v 'd\.Z\.\. .*: nmi_handler: nmi_handler() delta_ns: [0-9]* handled: 1$'
grep nmi_handler: trace | head -n 1
grep reschedule_ trace | head -n 2
grep -c 'prev_pid=[1-9][0-9]* prev_prio=120 prev_state=R+ ' trace | grep -c -v '^0$'
grep -c 'prev_pid=[1-9][0-9]* prev_prio=120 prev_state=R ' trace | grep -c -v '^0$'
grep -c 'prev_pid=[1-9][0-9]* prev_prio=120 prev_state=X ' trace | grep -c -v '^0$'
grep -c 'prev_pid=0 prev_prio=120 prev_state=R+ ' trace
cat events/nmi/enable
