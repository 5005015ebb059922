# args: --console /dev/null --cpus 2
# The binary buffer files: events/header_page and header_event describe the pages; per_cpu/cpuN/trace_pipe_raw
# hands out whole 4096-byte pages and consumes them; the per-CPU snapshot file (help, 0 refused, 1 swaps this CPU).
cat events/header_page
cat events/header_event
echo kmem_cache_alloc > set_ftrace_filter
echo function > current_tracer
run 1200us
echo 0 > tracing_on
grep -c -v '^#' per_cpu/cpu0/trace | grep -c -v '^0$'
wc -c per_cpu/cpu0/trace_pipe_raw | grep -c -v '^0 '
grep -c -v '^#' per_cpu/cpu0/trace
wc -c per_cpu/cpu0/trace_pipe_raw
cat per_cpu/cpu1/snapshot
echo 0 > per_cpu/cpu1/snapshot
echo $?
grep -c -v '^#' per_cpu/cpu1/trace | grep -c -v '^0$'
echo 1 > per_cpu/cpu1/snapshot
grep -c -v '^#' per_cpu/cpu1/trace
grep -c -v '^#' per_cpu/cpu1/snapshot | grep -c -v '^0$'
grep -c -v '^#' per_cpu/cpu0/snapshot
wc -c per_cpu/cpu1/snapshot_raw | grep -c -v '^0 '
