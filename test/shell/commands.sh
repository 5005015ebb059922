# args: --console /dev/null --cpus 1
# Function commands (func_traceonoff_triggers.tc, func-filter-stacktrace.tc): counts, listing, firing, and
# removal with !: a counted probe is removed with !func:cmd:0, !func:cmd names the uncounted one.
echo function > current_tracer
echo 'vfs_read:traceoff:2' > set_ftrace_filter
cat set_ftrace_filter
echo 'vfs_write:stacktrace' >> set_ftrace_filter
echo 'do_sys_open:traceon' >> set_ftrace_filter
cat set_ftrace_filter
echo 'nosuch_fn:traceoff' >> set_ftrace_filter
echo $?
echo 'vfs_read:bogus' >> set_ftrace_filter
echo $?
echo 'vfs_read:traceoff:x' >> set_ftrace_filter
echo $?
echo '!do_sys_open:traceon' >> set_ftrace_filter
cat set_ftrace_filter
cat tracing_on
run 400us
cat tracing_on
cat set_ftrace_filter
grep -c '<stack trace>' trace | grep -c -v '^0$'
grep -c '^ => ' trace | grep -c -v '^0$'
echo '!vfs_read:traceoff' >> set_ftrace_filter
echo $?
echo '!vfs_read:traceoff:0' >> set_ftrace_filter
echo '!vfs_write:stacktrace' >> set_ftrace_filter
cat set_ftrace_filter
echo '!vfs_write:stacktrace' >> set_ftrace_filter
echo $?
echo 1 > tracing_on
echo > trace
cat snapshot | head -n 4 | grep -c 'Snapshot is freed'
# the write blocks while the kernel runs on (one CPU): fput is hit before it returns
echo 'fput:snapshot:1' > set_ftrace_filter
cat set_ftrace_filter
grep -c -v '^#' snapshot | grep -c -v '^0$'
echo '!fput:snapshot' >> set_ftrace_filter
echo $?
echo '!fput:snapshot:0' >> set_ftrace_filter
cat set_ftrace_filter
echo nop > current_tracer
echo 0 > snapshot
