# args: --console /dev/null --cpus 1
# set_ftrace_filter globs (ftrace/func-filter-glob.tc): prefix, suffix, middle, foo*bar, ?, [..], an index, :mod:
echo 'kmem_cache*' > set_ftrace_filter
cat set_ftrace_filter
echo '*_lseek' > set_ftrace_filter
cat set_ftrace_filter
echo '*spin*' > set_ftrace_filter
cat set_ftrace_filter
echo 'ksys*64' > set_ftrace_filter
cat set_ftrace_filter
echo 'sch*ule' > set_ftrace_filter
cat set_ftrace_filter
echo '?fs_read' > set_ftrace_filter
cat set_ftrace_filter
echo 'jhash?' > set_ftrace_filter
cat set_ftrace_filter
echo 'vfs_[rw]*' > set_ftrace_filter
cat set_ftrace_filter
echo '[!v]fs_read' > set_ftrace_filter
echo $?
cat set_ftrace_filter
echo 'vfs_read fput' > set_ftrace_filter
cat set_ftrace_filter
echo '!*read' >> set_ftrace_filter
cat set_ftrace_filter
echo 1 > set_ftrace_filter
cat set_ftrace_filter
echo 0 > set_ftrace_filter
echo $?
echo 100000 > set_ftrace_filter
echo $?
cat set_ftrace_filter
echo '*lseek' > set_ftrace_notrace
cat set_ftrace_notrace
echo > set_ftrace_notrace
cat set_ftrace_notrace
echo '*:mod:nosuchmod' > set_ftrace_filter
echo $?
cat set_ftrace_filter
echo 'vfs_read' >> set_ftrace_filter
cat set_ftrace_filter
echo '!*:mod:nosuchmod' >> set_ftrace_filter
cat set_ftrace_filter
echo '!*:mod:nosuchmod' >> set_ftrace_filter
echo $?
echo > set_ftrace_filter
cat set_ftrace_filter
echo ':mod:nosuchmod' > set_ftrace_filter
echo ':mod:nosuchmod' >> set_ftrace_filter
echo 'a*:mod:nosuchmod' >> set_ftrace_filter
cat set_ftrace_filter
echo '!:mod:nosuchmod' >> set_ftrace_filter
cat set_ftrace_filter
echo '!b*:mod:nosuchmod' >> set_ftrace_filter
echo $?
echo 'nosuchfunc:mod' >> set_ftrace_filter
echo $?
echo '!*:mod:nosuchmod' >> set_ftrace_filter
cat set_ftrace_filter
