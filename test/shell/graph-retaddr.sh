# args: --console /dev/null --cpus 1
# funcgraph-retaddr (each call's caller, tail calls resolved past return_to_handler), the interrupt
# markers around the timer's handler and nofuncgraph-irqs hiding it, and function_graph following
# each trace array's own set_ftrace_filter (the top's and an instance's).
run 1000us
echo function_graph > current_tracer
cat options/funcgraph-retaddr
grep retaddr trace_options
echo 1 > options/funcgraph-retaddr
echo > trace
run 300us
grep -v '^#' trace | head -n 3
grep -E '=====|tick_handler\(\) \{' trace | head -n 3
grep -c return_to_handler trace
echo 0 > options/funcgraph-irqs
grep -c -E '=====|tick_handler' trace
echo 1 > options/funcgraph-irqs
echo 0 > options/funcgraph-retaddr
grep -c '<-' trace
echo 2 > options/funcgraph-retaddr
echo $?
echo nop > current_tracer
mkdir instances/g
echo vfs_read > set_ftrace_filter
echo crc32_le > instances/g/set_ftrace_filter
echo function_graph > current_tracer
echo function_graph > instances/g/current_tracer
run 300us
grep -E '[a-z]\(\)' trace | head -n 2
grep -E '[a-z]\(\)' trace | grep -c -v -F 'vfs_read()'
grep -E '[a-z]\(\)' instances/g/trace | head -n 2
grep -E '[a-z]\(\)' instances/g/trace | grep -c -v -F 'crc32_le()'
cat instances/g/set_ftrace_filter
