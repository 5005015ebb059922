# args: --console /dev/null --cpus 1
# exit: 1
# README, the mini-HOWTO the selftests grep for features (ftracetest's `# requires: "pattern":README`):
# the lines of what ftsim has are there in the kernel's words, none for what it lacks (status 1).
head -n 4 README
grep -c 'Format: :mod:<module-name>' README
grep 'set_ftrace_notrace_pid' README
grep -E '(trigger: traceon|_event:<system>|  stacktrace$|  snapshot$)' README
grep 'stack_trace_filter' README
grep -c -E 'kprobe_events|dynamic_events|trace_marker_raw|timestamp_mode|hist trigger' README
echo $?
echo x > README
