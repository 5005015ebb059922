# args: --console /dev/null --cpus 2
# The profiler's per-CPU trace_stat files (function0, function1) and the stack tracer's files with
# their errors (ftrace_profile_write, stack_max_size_write, ftrace_regex_write on stack_trace_filter).
echo abc > function_profile_enabled
cat function_profile_enabled
echo 1 > function_profile_enabled
run 1ms
echo 0 > function_profile_enabled
head -n 2 trace_stat/function1
grep -c -v -- '---' trace_stat/function1 | grep -c -v '^[01]$'
grep -c -v -- '---' trace_stat/function0 | grep -c -v '^[01]$'
echo x > trace_stat/function1
cat stack_trace_filter
echo no_such_function > stack_trace_filter
cat stack_trace_filter
echo 'vfs_read no_such_function' > stack_trace_filter
cat stack_trace_filter
echo 'do_sys_*' >> stack_trace_filter
cat stack_trace_filter
echo > stack_trace_filter
cat stack_trace_filter
echo -1 > stack_max_size
echo 12x > stack_max_size
cat stack_max_size
echo x > stack_trace
echo abc > ftsim/stack_tracer_enabled
cat ftsim/stack_tracer_enabled
