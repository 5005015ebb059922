# args: --console /dev/null --cpus 2
# Events: enable at each level (all, system, event; `X` when mixed), set_event forms, filters good and bad,
# triggers, and the errors of each file.
cat events/enable
echo 1 > events/sched/sched_switch/enable
cat events/sched/sched_switch/enable
cat events/sched/enable
cat events/enable
cat set_event
echo 1 > events/sched/enable
cat events/sched/enable
cat set_event
echo 0 > events/enable
cat events/enable
cat set_event
echo 'sched:sched_wakeup' > set_event
echo 'sched_switch' >> set_event
cat set_event
echo '!sched:sched_wakeup' >> set_event
cat set_event
echo 'sched:*' > set_event
cat set_event
echo 'irq_vectors:' > set_event
cat set_event
echo '*:*' > set_event
cat events/enable
echo > set_event
cat set_event
echo 'nosuch:event' > set_event
echo $?
echo 'sched:nosuch' >> set_event
echo $?
echo 2 > events/sched/sched_switch/enable
echo $?
echo 2 > events/enable
echo $?
echo 'prev_pid == 0' > events/sched/sched_switch/filter
cat events/sched/sched_switch/filter
echo 'next_comm ~ "kworker*" && prev_prio < 200' > events/sched/sched_switch/filter
cat events/sched/sched_switch/filter
echo 'nosuch == 1' > events/sched/sched_switch/filter
echo $?
cat events/sched/sched_switch/filter
echo 'prev_pid == ' > events/sched/sched_switch/filter
echo $?
echo 0 > events/sched/sched_switch/filter
cat events/sched/sched_switch/filter
echo 1 > events/sched/sched_switch/enable
run 5ms
run 600us
grep -c 'sched_switch:.* prev_pid=4 ' trace
echo 'prev_pid != 4' > events/sched/sched_switch/filter
echo > trace
run 400us
grep -c sched_switch trace | grep -c -v '^0$'
grep -c 'sched_switch:.* prev_pid=4 ' trace
echo 0 > events/sched/sched_switch/filter
echo 0 > events/sched/sched_switch/enable
echo > trace
cat events/sched/sched_switch/trigger
echo 'traceoff:1' > events/sched/sched_switch/trigger
cat events/sched/sched_switch/trigger
cat events/sched/sched_switch/enable
echo 'stacktrace if prev_pid == 3' >> events/sched/sched_switch/trigger
grep -c '^traceoff:count=1$' events/sched/sched_switch/trigger
# newest first; an event held in soft mode by its triggers is in set_event
cat events/sched/sched_switch/trigger
cat set_event
grep -c '^stacktrace:unlimited if prev_pid == 3$' events/sched/sched_switch/trigger
echo 'traceoff' >> events/sched/sched_switch/trigger
echo $?
echo 'bogus' > events/sched/sched_switch/trigger
echo $?
echo 'traceoff if nosuch == 1' >> events/sched/sched_switch/trigger
echo $?
echo '!traceoff' >> events/sched/sched_switch/trigger
echo '!stacktrace if prev_pid == 3' >> events/sched/sched_switch/trigger
cat events/sched/sched_switch/trigger
head -n 5 events/sched/sched_switch/format
cat events/sched/sched_switch/id
