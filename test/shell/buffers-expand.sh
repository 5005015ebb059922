# args: --console /dev/null --cpus 2
# The boot buffer (Linux boots without ftrace= at 2 pages per CPU) and its expansion on first use:
# what does not expand it, what does, and a marker written before the expansion still in the trace after it.
cat buffer_size_kb
cat buffer_total_size_kb
cat per_cpu/cpu0/buffer_size_kb
echo 0 > tracing_on
echo 1 > tracing_on
echo 2 > events/sched/sched_switch/enable
echo $?
echo x > events/enable
echo $?
echo early marker > trace_marker
cat buffer_size_kb
grep -c 'tracing_mark_write: early marker' trace
echo 2 > events/sched/enable
echo $?
cat buffer_size_kb
cat buffer_total_size_kb
cat per_cpu/cpu1/buffer_size_kb
grep -c 'tracing_mark_write: early marker' trace
grep entries-in-buffer trace
echo 100 > per_cpu/cpu1/buffer_size_kb
cat buffer_size_kb
cat buffer_total_size_kb
mkdir instances/foo
cat instances/foo/buffer_size_kb
rmdir instances/foo
