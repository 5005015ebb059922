# args: --console /dev/null --cpus 1
# trace_options and options/: their effect on the function and function_graph lines; bad names and values
echo vfs_read > set_ftrace_filter
echo function > current_tracer
run 1200us
grep -v '^#' trace | head -n 1
echo noprint-parent > trace_options
grep -v '^#' trace | head -n 1
cat options/print-parent
echo 1 > options/print-parent
grep -v '^#' trace | head -n 1
echo nocontext-info > trace_options
grep -v '^#' trace | head -n 1
head -n 4 trace
echo context-info > trace_options
echo noirq-info > trace_options
grep '^#' trace | tail -n 2
grep -v '^#' trace | head -n 1
echo irq-info > trace_options
cat trace_options
echo nosuch-option > trace_options
echo $?
echo 2 > options/print-parent
echo $?
cat options/print-parent
echo nop > current_tracer
# function_graph follows set_ftrace_filter too: clear it to see nested calls
echo > set_ftrace_filter
echo function_graph > current_tracer
run 100us
grep -v '^#' trace | head -n 4
echo 1 > options/funcgraph-proc
head -n 4 trace
grep -v '^#' trace | head -n 1
echo 0 > options/funcgraph-proc
echo 1 > options/funcgraph-abstime
grep -v '^#' trace | head -n 1
echo 0 > options/funcgraph-abstime
echo 0 > options/funcgraph-duration
grep -v '^#' trace | head -n 3
echo 1 > options/funcgraph-duration
echo 0 > options/funcgraph-cpu
grep -v '^#' trace | head -n 1
echo 1 > options/funcgraph-cpu
echo 1 > options/funcgraph-tail
grep '}' trace | head -n 1
echo 0 > options/funcgraph-tail
grep '}' trace | head -n 1
echo 2 > options/funcgraph-tail
echo $?
echo nop > current_tracer
