# args: --console /dev/null --cpus 1
# instances/ (instance.tc, fgraph-multi.tc): two instances with their own tracers and filters, the top
# buffer untouched, enabled_functions the union; their errors.
mkdir instances/a
mkdir instances/b
ls instances
cat instances/a/current_tracer
echo vfs_read > instances/a/set_ftrace_filter
echo fput > instances/b/set_ftrace_filter
echo function > instances/a/current_tracer
echo function > instances/b/current_tracer
cat current_tracer
cat enabled_functions | grep -c .
grep -c '^vfs_read (1)' enabled_functions
grep -c '^fput (1)' enabled_functions
run 1200us
grep -v '^#' instances/a/trace | grep -c -v ': vfs_read <-'
grep -c ': vfs_read <-' instances/a/trace | grep -c -v '^0$'
grep -v '^#' instances/b/trace | grep -c -v ': fput <-'
grep -c ': fput <-' instances/b/trace | grep -c -v '^0$'
grep -c -v '^#' trace
echo 0 > instances/a/tracing_on
cat instances/a/tracing_on
cat tracing_on
rmdir instances/a
echo $?
rmdir instances/a
ls instances
echo nop > instances/b/current_tracer
cat enabled_functions
rmdir instances/b
ls instances
mkdir instances/b
cat instances/b/set_ftrace_filter
rmdir instances/b
rmdir instances/b
mkdir instances
echo $?
