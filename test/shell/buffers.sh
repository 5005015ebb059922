# args: --console /dev/null --cpus 2
# Buffer sizes (ringbuffer_size.tc), per_cpu files, trace_pipe consuming (trace_pipe.tc), trace_marker,
# saved_cmdlines, tracing_cpumask (func_cpumask.tc), trace_clock, and their bad writes.
cat buffer_size_kb
cat buffer_total_size_kb
echo 704 > buffer_size_kb
cat buffer_size_kb
cat per_cpu/cpu1/buffer_size_kb
echo 352 > per_cpu/cpu1/buffer_size_kb
cat buffer_size_kb
cat buffer_total_size_kb
echo 1408 > buffer_size_kb
cat buffer_size_kb
echo 0 > buffer_size_kb
echo $?
echo abc > per_cpu/cpu0/buffer_size_kb
echo $?
ls per_cpu
echo hello marker > trace_marker
grep -c 'tracing_mark_write: hello marker' trace
grep -c 'tracing_mark_write: hello marker' trace
head -n 1 trace_pipe
grep -c 'tracing_mark_write: hello marker' trace
head -n 6 per_cpu/cpu0/stats
grep -c '^\[local\] global' trace_clock
echo global > trace_clock
grep -c '^local \[global\]' trace_clock
echo nosuchclock > trace_clock
echo $?
grep -c '\[global\]' trace_clock
echo local > trace_clock
cat tracing_cpumask
echo 2 > tracing_cpumask
cat tracing_cpumask
echo kmem_cache_alloc > set_ftrace_filter
echo function > current_tracer
run 6ms
grep -c '\[000\]' trace
grep -c '\[001\]' trace | grep -c -v '^0$'
grep -c -v '^#' per_cpu/cpu0/trace
echo 4 > tracing_cpumask
echo $?
echo xyz > tracing_cpumask
echo $?
cat tracing_cpumask
echo 3 > tracing_cpumask
cat saved_cmdlines
echo nop > current_tracer
echo 0 > tracing_on
echo nowrite > trace_marker
echo $?
grep -c nowrite trace
echo 1 > tracing_on
