# args: --console /dev/null
# The function tracer on a filter, as on Linux: set_ftrace_filter's > and >>, the kernel's failure
# semantics (a bad name with > empties the filter, with >> changes nothing), enabled_functions, the trace.
cat current_tracer
cat available_tracers
echo vfs_read > set_ftrace_filter
echo fput >> set_ftrace_filter
cat set_ftrace_filter
echo nosuch_function >> set_ftrace_filter
cat set_ftrace_filter
echo nosuch_function > set_ftrace_filter
cat set_ftrace_filter
echo 'vfs_*' > set_ftrace_filter
echo '!vfs_write' >> set_ftrace_filter
cat set_ftrace_filter
echo function > current_tracer
cat enabled_functions
run 2ms
grep -v '^#' trace | head -n 5
grep -c ': vfs_write <-' trace
grep -c ': vfs_read <-' trace
echo 0 > tracing_on
cat tracing_on
echo > trace
grep -c -v '^#' trace
echo nop > current_tracer
cat enabled_functions
echo > set_ftrace_filter
cat set_ftrace_filter
