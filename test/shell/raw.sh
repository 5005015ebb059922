# args: --console /dev/null --cpus 2
# The binary buffer files: events/header_page and header_event describe the pages; the per-CPU snapshot file
# (help, 0 refused, 1 swaps this CPU only); per_cpu/cpuN/snapshot_raw and trace_pipe_raw hand out whole
# 4096-byte pages and consume them.
cat events/header_page
cat events/header_event
echo _raw_spin_lock > set_ftrace_filter
echo function > current_tracer
run 1200us
echo 0 > tracing_on
cat per_cpu/cpu0/snapshot
echo 0 > per_cpu/cpu0/snapshot
echo $?
grep -c -v '^#' per_cpu/cpu0/trace | grep -c -v '^0$'
echo 1 > per_cpu/cpu0/snapshot
grep -c -v '^#' per_cpu/cpu0/trace
grep -c -v '^#' per_cpu/cpu0/snapshot | grep -c -v '^0$'
head -n 4 per_cpu/cpu1/snapshot
wc -c per_cpu/cpu0/snapshot_raw | grep -c -v '^0 '
grep -c -v '^#' per_cpu/cpu0/snapshot
echo 1 > tracing_on
run 1200us
echo 0 > tracing_on
grep -c -v '^#' per_cpu/cpu0/trace | grep -c -v '^0$'
wc -c per_cpu/cpu0/trace_pipe_raw | grep -c -v '^0 '
grep -c -v '^#' per_cpu/cpu0/trace
wc -c per_cpu/cpu0/trace_pipe_raw
