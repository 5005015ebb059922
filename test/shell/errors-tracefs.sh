# args: --console /dev/null
# exit: 127
# Bad writes fail with the kernel's errno and change nothing; reads of what is not there fail as cat says.
echo blah > current_tracer
cat current_tracer
echo 2x > tracing_on
echo 0 > buffer_size_kb
cat buffer_size_kb
echo x > available_tracers
echo 'a == ' > events/sched/sched_switch/filter
cat events/sched/sched_switch/filter
tail -n 3 error_log
echo 'bogus:cmd' > set_ftrace_filter
mkdir instances/foo
mkdir instances/foo
rmdir instances/bar
rmdir instances/foo
cat no_such_file
cd no_such_dir
echo x > no_such_dir/file
nosuchcommand
