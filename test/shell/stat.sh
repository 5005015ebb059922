# args: --console /dev/null --cpus 1
# The function profiler (beside function_graph, with its graph-time / sleep-time options) and the stack tracer.
# exit: 1
cat function_profile_enabled
echo 1 > function_profile_enabled
run 1ms
head -n 2 trace_stat/function0
grep -c us trace_stat/function0 | grep -c -v '^0$'
echo 0 > function_profile_enabled
echo function_graph > current_tracer
echo nograph-time > trace_options
echo nosleep-time > trace_options
grep -E '(sleep|graph)-time$' trace_options
echo 1 > function_profile_enabled
cat function_profile_enabled
echo graph-time > trace_options
echo sleep-time > trace_options
echo nop > current_tracer
echo do_sys_open > stack_trace_filter
cat stack_trace_filter
echo 1 > ftsim/stack_tracer_enabled
run 1ms
head -n 2 stack_trace
grep -c do_sys_open stack_trace
echo 0 > stack_max_size
cat stack_max_size
echo 0 > ftsim/stack_tracer_enabled
echo abc > stack_max_size
