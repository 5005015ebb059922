# args: --console /dev/null --cpus 1
# set_graph_function / set_graph_notrace / max_graph_depth (fgraph-filter.tc): roots, pruned subtrees,
# depth 1, globs and !, and their bad writes.
cat set_graph_function
cat set_graph_notrace
cat max_graph_depth
echo vfs_read > set_graph_function
echo ramfs_file_read > set_graph_notrace
cat set_graph_notrace
echo function_graph > current_tracer
run 1200us
grep -v '^#' trace | head -n 4
grep -c ramfs_file_read trace
echo > set_graph_notrace
echo > trace
echo 1 > max_graph_depth
cat max_graph_depth
run 100us
grep -v '^#' trace | head -n 2
grep -c -v '^#' trace | grep -c -v '^0$'
grep -v '^#' trace | grep -c -v 'vfs_read();'
echo 0 > max_graph_depth
echo 'vfs_*' > set_graph_function
echo '!vfs_write' >> set_graph_function
grep -c vfs_write set_graph_function
grep -c vfs_read set_graph_function
echo nosuch_fn > set_graph_function
echo $?
cat set_graph_function
echo vfs_read > set_graph_function
echo nosuch_fn >> set_graph_function
echo $?
cat set_graph_function
echo abc > max_graph_depth
echo $?
echo -1 > max_graph_depth
echo $?
cat max_graph_depth
echo nop > current_tracer
echo > set_graph_function
cat set_graph_function
