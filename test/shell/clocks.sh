# args: --console /dev/null --cpus 2
# File modes as ls -l shows them, root's writes to read-only files and reads of write-only ones,
# every trace_clock clock, saved_cmdlines_size and free_buffer.
ls -l available_tracers current_tracer free_buffer trace_marker saved_cmdlines_size trace_pipe
ls -l -d events per_cpu instances
ls -l events | head -n 4
echo x > available_tracers
echo $?
cat trace_marker
echo $?
cat trace_clock
echo counter > trace_clock
cat trace_clock
echo one > trace_marker
echo two > trace_marker
grep -c tracing_mark_write trace
grep tracing_mark_write trace
echo x86-tsc > trace_clock
grep -c tracing_mark_write trace
echo uptime > trace_clock
run 40ms
echo up > trace_marker
grep tracing_mark_write trace
echo nosuch > trace_clock
echo $?
echo local > trace_clock
cat saved_cmdlines_size
echo 0 > saved_cmdlines_size
echo 32769 > saved_cmdlines_size
echo 32768 > saved_cmdlines_size
cat saved_cmdlines_size
echo 128 > saved_cmdlines_size
cat buffer_size_kb
echo 1 > free_buffer
echo $?
cat buffer_size_kb
cat buffer_total_size_kb
cat tracing_on
echo 1408 > buffer_size_kb
cat buffer_size_kb
