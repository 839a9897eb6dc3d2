// SPDX-License-Identifier: MIT
/*
 * src/file.c - struct file, as much of it as mmap needs (fs/file_table.c,
 * fs/open.c, mm/shmem.c's shmem_zero_setup for shared anonymous memory).
 * Files come from filp_cachep and are reference counted with
 * get_file()/fput(); the last fput frees the path and the struct.
 */
#include "vma.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

static struct file *alloc_file(const char *path, unsigned int f_mode)
{
	struct file *f = kmem_cache_zalloc(filp_cachep, GFP_KERNEL);

	if (!f)
		return NULL;
	f->f_path = kstrdup(path, GFP_KERNEL);
	if (!f->f_path) {
		kmem_cache_free(filp_cachep, f);
		return NULL;
	}
	atomic_set(&f->f_count, 1);
	f->f_mode = f_mode;
	return f;
}

/*
 * mmk_file_open - what open(@path) with @f_mode would give: the open is
 * really attempted (so permissions and EISDIR come from this machine),
 * then closed; the struct keeps the path as /proc prints it (absolute,
 * symlinks resolved), device, inode, size, and whether its mount is noexec.
 */
struct file *mmk_file_open(const char *path, unsigned int f_mode)
{
	struct stat st;
	struct statvfs sv;
	struct file *f;
	char *real;
	int oflags, fd;

	if (!(f_mode & (FMODE_READ | FMODE_WRITE)))
		return ERR_PTR(-EINVAL);
	oflags = (f_mode & FMODE_WRITE) ? ((f_mode & FMODE_READ) ? O_RDWR : O_WRONLY) : O_RDONLY;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(path, oflags | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ERR_PTR(-errno);
	if (fstat(fd, &st) != 0) {
		int err = -errno;

		close(fd);
		return ERR_PTR(err);
	}
	real = realpath(path, NULL);
	f = alloc_file(real ? real : path, f_mode);
	free(real);
	if (!f) {
		close(fd);
		return ERR_PTR(-ENOMEM);
	}
	f->dev_major = major(st.st_dev);
	f->dev_minor = minor(st.st_dev);
	f->i_ino = (unsigned long)st.st_ino;
	f->i_size = (long long)st.st_size;
	/* a directory, a FIFO or a socket has no mmap method: -ENODEV */
	f->is_dir = S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
	if (fstatvfs(fd, &sv) == 0)
		f->noexec = (sv.f_flag & ST_NOEXEC) != 0;
	close(fd);
	return f;
}

struct file *mmk_file_create(const char *path, unsigned int dev_major, unsigned int dev_minor,
			     unsigned long ino, long long size, unsigned int f_mode)
{
	struct file *f = alloc_file(path, f_mode);

	if (!f)
		return ERR_PTR(-ENOMEM);
	f->dev_major = dev_major;
	f->dev_minor = dev_minor;
	f->i_ino = ino;
	f->i_size = size;
	return f;
}

/*
 * shmem_zero_file - the file shmem_zero_setup() puts behind a shared
 * anonymous mapping: an unlinked "dev/zero" on the internal shm mount,
 * device 00:01, a fresh inode number each time.
 */
static MMK_ATOMIC(unsigned long) shmem_next_ino = 1024;

struct file *shmem_zero_file(long long size)
{
	struct file *f = alloc_file("/dev/zero (deleted)", FMODE_READ | FMODE_WRITE);

	if (!f)
		return NULL;
	f->dev_major = 0;
	f->dev_minor = 1;
	f->i_ino = atomic_fetch_add(&shmem_next_ino, 1) + 1;
	f->i_size = size;
	f->shmem = true;
	return f;
}

void get_file(struct file *f)
{
	atomic_inc(&f->f_count);
}

void fput(struct file *f)
{
	if (atomic_dec_and_test(&f->f_count)) {
		kfree(f->f_path);
		kmem_cache_free(filp_cachep, f);
	}
}
