# args: --console /dev/null --cpus 2
# function_graph under one root, then scheduler events on two CPUs, and an instance of its own.
echo vfs_read > set_graph_function
cat set_graph_function
echo 2 > max_graph_depth
echo function_graph > current_tracer
run 2ms
grep -v '^#' trace | head -n 8
echo nop > current_tracer
echo > set_graph_function
echo 0 > max_graph_depth
echo 'sched:sched_switch' > set_event
cat set_event
cat events/sched/enable
run 1ms
grep -c sched_switch trace
grep sched_switch trace | head -n 2
echo 0 > events/enable
cat set_event
mkdir instances/mine
ls instances
echo function > instances/mine/current_tracer
cat current_tracer
run 200us
grep -v '^#' instances/mine/trace | wc -l | grep -c -v '^0$'
echo nop > instances/mine/current_tracer
rmdir instances/mine
ls instances
