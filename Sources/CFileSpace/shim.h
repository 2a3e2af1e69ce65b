#ifndef HEPSCOPE_CFILESPACE_SHIM_H
#define HEPSCOPE_CFILESPACE_SHIM_H
// Giving a file's disk blocks back without changing its size (fallocate's punch hole), for the
// spool file of a long live session. glibc declares fallocate only under _GNU_SOURCE, which the
// Glibc module is built without; the flags come from the kernel's header.
#include <linux/falloc.h>

extern int fallocate(int fd, int mode, long offset, long length);

/// Frees the blocks of `length` bytes at `offset` (both multiples of the block size for whole
/// blocks to go); they read back as zeros. 0, or -1 with errno (EOPNOTSUPP: not on this file system).
static inline int hepscope_punch_hole(int fd, long offset, long length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}
#endif
