# args: --console /dev/null --cpus 1
# the generic trace options' layouts: sym-offset, raw, hex, fields, latency-format, verbose, record-tgid, printk-msg-only, func-no-repeats
echo vfs_read > set_ftrace_filter
echo function > current_tracer
run 1200us
echo 0 > tracing_on
grep -v '^#' trace | head -n 1
echo 1 > options/sym-offset
grep -v '^#' trace | head -n 1
echo 0 > options/sym-offset
echo raw > trace_options
grep -v '^#' trace | head -n 1
echo hex > trace_options
grep -v '^#' trace | head -n 1
echo nohex > trace_options
echo noraw > trace_options
echo 1 > options/fields
grep -v '^#' trace | head -n 1
echo 0 > options/fields
echo latency-format > trace_options
head -n 17 trace
echo verbose > trace_options
head -n 11 trace
echo noverbose > trace_options
echo nolatency-format > trace_options
echo verbose > options/record-tgid
echo $?
echo 1 > options/record-tgid
echo > trace
echo 1 > tracing_on
run 300us
echo 0 > tracing_on
cat saved_tgids
grep -v '^#' trace | head -n 1
grep 'TASK-PID' trace
echo 0 > options/record-tgid
echo > trace
echo 1 > tracing_on
echo hello > trace_marker
echo 0 > tracing_on
grep -v '^#' trace
echo printk-msg-only > trace_options
grep -v '^#' trace
echo noprintk-msg-only > trace_options
echo > set_ftrace_filter
echo func-no-repeats > trace_options
echo 1 > tracing_on
run 1000us
echo 0 > tracing_on
grep 'repeats:' trace | head -n 2
cat options/func-no-repeats
