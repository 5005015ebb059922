# args: --console /dev/null --cpus 1
# exit: 1
# Every options/ file read (the glob: each reads 0 or 1), and written through the file itself rather than trace_options
# (trace_options_core_write, trace_options_write): the value shows in trace_options and in the output.
grep . options/* | grep -c -v -E '^options/[^:]+:[01]$'
echo vfs_read > set_ftrace_filter
echo function > current_tracer
run 1200us
echo 0 > tracing_on
grep -v '^#' trace | head -n 1
echo 1 > options/sym-addr
grep -v '^#' trace | head -n 1
echo 0 > options/sym-addr
echo 0 > options/context-info
grep -v '^#' trace | head -n 1
echo 1 > options/context-info
echo 0 > options/irq-info
grep '^#' trace | tail -n 1
echo 1 > options/irq-info
echo 1 > options/func_stack_trace
echo 1 > options/stacktrace
echo 1 > options/func-no-repeats
grep -E '^(func_stack_trace|stacktrace|func-no-repeats)$' trace_options
echo 0 > options/func_stack_trace
echo 0 > options/stacktrace
echo 0 > options/func-no-repeats
echo nop > current_tracer
echo 0 > options/markers
echo hello > trace_marker
echo 1 > options/markers
echo 1 > options/bin
echo 1 > options/block
echo 0 > options/annotate
echo 1 > options/userstacktrace
echo 1 > options/sym-userobj
echo 0 > options/trace_printk
echo 0 > options/overwrite
echo 1 > options/disable_on_free
echo 1 > options/event-fork
echo 0 > options/copy_trace_marker
echo 1 > options/pause-on-trace
echo 0 > options/hash-ptr
echo 0 > options/function-trace
echo 1 > options/function-fork
echo 1 > options/verbose
echo 1 > options/raw
echo 1 > options/hex
echo 1 > options/latency-format
echo 1 > options/printk-msg-only
echo 0 > options/record-cmd
cat trace_options
echo 0 > options/bin
echo 0 > options/block
echo 1 > options/annotate
echo 0 > options/userstacktrace
echo 0 > options/sym-userobj
echo 1 > options/trace_printk
echo 1 > options/overwrite
echo 0 > options/disable_on_free
echo 0 > options/event-fork
echo 1 > options/copy_trace_marker
echo 0 > options/pause-on-trace
echo 1 > options/hash-ptr
echo 1 > options/function-trace
echo 0 > options/function-fork
echo 0 > options/verbose
echo 0 > options/raw
echo 0 > options/hex
echo 0 > options/latency-format
echo 0 > options/printk-msg-only
echo 1 > options/record-cmd
echo function_graph > current_tracer
echo 0 > options/funcgraph-irqs
echo 0 > options/funcgraph-overhead
echo 1 > options/funcgraph-overrun
echo 1 > options/funcgraph-retval
echo 1 > options/funcgraph-retval-hex
echo 0 > options/graph-time
echo 0 > options/sleep-time
grep -E '(funcgraph-(irqs|overhead|overrun|retval|retval-hex)|graph-time|sleep-time)$' trace_options
echo 1 > options/funcgraph-irqs
echo 1 > options/funcgraph-overhead
echo 0 > options/funcgraph-overrun
echo 0 > options/funcgraph-retval
echo 0 > options/funcgraph-retval-hex
echo 1 > options/graph-time
echo 1 > options/sleep-time
echo nop > current_tracer
echo abc > options/hex
echo 1x > options/hex
echo -1 > options/hex
cat options/hex
echo 1 > options/no-such-option
