# args: --console /dev/null
# bytes through tracefs: a trace_marker write of UTF-8 text (and a tab) reads back as the same bytes,
# in trace and trace_pipe, and grep matches them; tracefs deals in bytes, not characters
echo "héllo ☃ wörld" > trace_marker
echo -e "tab\there" > trace_marker
cat trace | grep -c "héllo ☃ wörld"
cat trace | grep tracing_mark_write
cat trace_pipe | grep -c "☃"
cat trace | wc -l
