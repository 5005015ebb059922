# args: --console /dev/null --cpus 1
# More refused writes, each leaving the file as it was: sizes the buffer cannot take (-ENOMEM), numbers
# past an unsigned long (kstrtoul's -ERANGE), names of 64 bytes or more (trace_clock, trace_options:
# -EINVAL before any lookup); an instance has no file for the top-level-only options and starts with
# trace_printk_dest and copy_trace_marker off (ZEROED_TRACE_FLAGS), the top level has them on.
echo 1408 > buffer_size_kb
echo 999999999999 > buffer_size_kb
echo 999999999999999999999 > buffer_size_kb
cat buffer_size_kb
echo 999999999999999999999 > saved_cmdlines_size
echo 999999999999999999999 > max_graph_depth
echo 0123456789012345678901234567890123456789012345678901234567890123 > trace_clock
cat trace_clock
echo no0123456789012345678901234567890123456789012345678901234567890123 > trace_options
mkdir instances/a
cat instances/a/options/trace_printk_dest instances/a/options/copy_trace_marker
cat options/trace_printk_dest options/copy_trace_marker
cat instances/a/options/trace_printk
cat instances/a/options/printk-msg-only
rmdir instances/a
