/* SPDX-License-Identifier: MIT */
/*
 * src/filemap.c - the page cache (mm/filemap.c, mm/shmem.c).
 *
 * Pages are cached per inode, as the kernel does: struct files with the
 * same device and inode number share them. A regular file's page is filled
 * with the real file's bytes (pread of its path; anything past i_size is
 * zero; a path that cannot be read gives zeroes). A shmem inode (the file
 * behind a shared anonymous mapping) starts with zero pages.
 *
 * Writes through shared mappings dirty the cached page and never reach the
 * host file. Clean regular-file pages that nobody maps are dropped by
 * mmk_drop_caches() and by reclaim when RAM runs out; dirty pages and
 * shmem pages stay until their inode goes (shmem: when the last mapping of
 * its file is unmapped) or mmk_mem_shutdown().
 *
 * The cache holds one reference on each of its pages. One lock (cache_lock)
 * covers the inode list, the hash of pages and the LRU; page I/O happens
 * outside it (a racing filler's page is freed, the first one wins).
 */
#define MMKIT_PAGE_INTERNAL
#include "internal.h"
#include <mmkit/page.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct mmk_inode {
	struct mmk_inode *next;
	unsigned int dev_major, dev_minor;
	unsigned long ino;
	bool shmem;
	int fd;           /* -1: not opened yet; -2: cannot be read */
	char *path;
	unsigned long nrpages;
	unsigned long users; /* fillers working on it without the lock */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mmk_inode *inodes;
static struct page **page_hash;
static unsigned long hash_mask;
static struct list_head cache_lru = LIST_HEAD_INIT(cache_lru);
static unsigned long nr_cache_pages;

void filemap_init(unsigned long nr_frames)
{
	unsigned long n = 256;

	while (n < nr_frames / 4)
		n <<= 1;
	pthread_mutex_lock(&cache_lock);
	page_hash = calloc(n, sizeof(*page_hash));
	if (!page_hash) {
		mmk_warn("filemap: no host memory for the page-cache hash");
		abort();
	}
	hash_mask = n - 1;
	INIT_LIST_HEAD(&cache_lru);
	nr_cache_pages = 0;
	pthread_mutex_unlock(&cache_lock);
}

unsigned long filemap_nr_pages(void)
{
	unsigned long n;

	pthread_mutex_lock(&cache_lock);
	n = nr_cache_pages;
	pthread_mutex_unlock(&cache_lock);
	return n;
}

static inline unsigned long hash_of(const struct mmk_inode *inode, unsigned long index)
{
	uint64_t h = ((uint64_t)(uintptr_t)inode >> 4) * 0x9e3779b97f4a7c15ULL ^ index * 0xbf58476d1ce4e5b9ULL;

	return (unsigned long)(h ^ (h >> 29)) & hash_mask;
}

static struct mmk_inode *find_inode(const struct file *f)
{
	for (struct mmk_inode *i = inodes; i; i = i->next)
		if (i->ino == f->i_ino && i->dev_major == f->dev_major && i->dev_minor == f->dev_minor &&
		    i->shmem == f->shmem)
			return i;
	return NULL;
}

static struct page *hash_find(const struct mmk_inode *inode, unsigned long index)
{
	for (struct page *p = page_hash[hash_of(inode, index)]; p; p = p->hnext)
		if (p->mapping == inode && p->index == index)
			return p;
	return NULL;
}

/* take @page out of the cache (cache_lock held); the cache's reference is
 * the caller's to drop */
static void cache_remove(struct page *page)
{
	struct mmk_inode *inode = page->mapping;
	struct page **pp = &page_hash[hash_of(inode, page->index)];

	while (*pp != page)
		pp = &(*pp)->hnext;
	*pp = page->hnext;
	page->hnext = NULL;
	list_del_init(&page->lru);
	ClearPageFlag(page, PG_pagecache);
	ClearPageFlag(page, PG_lru);
	inode->nrpages--;
	nr_cache_pages--;
}

static void inode_free(struct mmk_inode *inode)
{
	struct mmk_inode **pp = &inodes;

	while (*pp != inode)
		pp = &(*pp)->next;
	*pp = inode->next;
	if (inode->fd >= 0)
		close(inode->fd);
	free(inode->path);
	free(inode);
}

struct page *filemap_find_page(struct file *file, unsigned long pgoff)
{
	struct mmk_inode *inode;
	struct page *p = NULL;

	pthread_mutex_lock(&cache_lock);
	inode = find_inode(file);
	if (inode) {
		p = hash_find(inode, pgoff);
		if (p)
			get_page(p);
	}
	pthread_mutex_unlock(&cache_lock);
	return p;
}

/* the inode for @file, created if new (cache_lock held); NULL on -ENOMEM */
static struct mmk_inode *get_inode(struct file *file)
{
	struct mmk_inode *inode = find_inode(file);

	if (inode)
		return inode;
	if (should_fail_alloc("pagecache"))
		return NULL;
	inode = calloc(1, sizeof(*inode));
	if (!inode)
		return NULL;
	inode->dev_major = file->dev_major;
	inode->dev_minor = file->dev_minor;
	inode->ino = file->i_ino;
	inode->shmem = file->shmem;
	inode->fd = file->shmem ? -2 : -1;
	inode->path = file->f_path ? strdup(file->f_path) : NULL;
	inode->next = inodes;
	inodes = inode;
	return inode;
}

/* read page @pgoff of the file into @buf: real bytes up to i_size, zeroes after */
static void fill_page(struct mmk_inode *inode, const struct file *file, unsigned long pgoff, char *buf)
{
	long long off = (long long)pgoff << PAGE_SHIFT;
	size_t want = 0, got = 0;
	int fd;

	if (file->i_size > off)
		want = file->i_size - off >= (long long)PAGE_SIZE ? PAGE_SIZE : (size_t)(file->i_size - off);
	pthread_mutex_lock(&cache_lock);
	if (inode->fd == -1) {
		inode->fd = inode->path ? open(inode->path, O_RDONLY | O_CLOEXEC) : -1;
		if (inode->fd < 0)
			inode->fd = -2;
	}
	fd = inode->fd;
	pthread_mutex_unlock(&cache_lock);
	while (fd >= 0 && got < want) {
		ssize_t r = pread(fd, buf + got, want - got, (off_t)(off + (long long)got));

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	memset(buf + got, 0, PAGE_SIZE - got);
}

struct page *filemap_get_page(struct file *file, unsigned long pgoff)
{
	struct mmk_inode *inode;
	struct page *p, *np;

	pthread_mutex_lock(&cache_lock);
	inode = get_inode(file);
	if (!inode) {
		pthread_mutex_unlock(&cache_lock);
		return NULL;
	}
	p = hash_find(inode, pgoff);
	if (p) {
		get_page(p);
		pthread_mutex_unlock(&cache_lock);
		return p;
	}
	inode->users++;
	pthread_mutex_unlock(&cache_lock);

	np = alloc_page(0);
	if (np) {
		if (inode->shmem)
			memset(page_address(np), 0, PAGE_SIZE);
		else
			fill_page(inode, file, pgoff, page_address(np));
	}

	pthread_mutex_lock(&cache_lock);
	inode->users--;
	if (!np) {
		pthread_mutex_unlock(&cache_lock);
		return NULL;
	}
	p = hash_find(inode, pgoff);
	if (p) {
		get_page(p);
		pthread_mutex_unlock(&cache_lock);
		put_page(np);
		return p;
	}
	np->mapping = inode;
	np->index = pgoff;
	atomic_store(&np->flags, (1UL << PG_pagecache) | (1UL << PG_uptodate) | (1UL << PG_lru) |
					 (inode->shmem ? (1UL << PG_shmem) | (1UL << PG_swapbacked) : 0));
	np->hnext = page_hash[hash_of(inode, pgoff)];
	page_hash[hash_of(inode, pgoff)] = np;
	list_add_tail(&np->lru, &cache_lru);
	inode->nrpages++;
	nr_cache_pages++;
	get_page(np); /* the caller's reference; the allocation's is the cache's */
	pthread_mutex_unlock(&cache_lock);
	return np;
}

bool page_is_shmem(const struct page *page)
{
	return PageFlag(page, PG_shmem);
}

/* reclaim: clean regular-file pages only the cache holds, oldest first.
 * @want < 0: all of them. Returns frames freed. */
long filemap_reclaim(long want)
{
	struct list_head victims = LIST_HEAD_INIT(victims), *pos, *n;
	long freed = 0;

	pthread_mutex_lock(&cache_lock);
	if (!page_hash) {
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	list_for_each_safe(pos, n, &cache_lru) {
		struct page *p = list_entry(pos, struct page, lru);

		if (want >= 0 && freed >= want)
			break;
		if (PageFlag(p, PG_shmem) || PageDirty(p) || page_mapcount(p) || page_count(p) != 1)
			continue;
		cache_remove(p);
		list_add(&p->lru, &victims);
		freed++;
	}
	for (struct mmk_inode *i = inodes, *next; i; i = next) {
		next = i->next;
		if (!i->nrpages && !i->users)
			inode_free(i);
	}
	pthread_mutex_unlock(&cache_lock);
	list_for_each_safe(pos, n, &victims) {
		struct page *p = list_entry(pos, struct page, lru);

		list_del_init(&p->lru);
		put_page(p);
	}
	return freed;
}

static long drop_inode_pages(struct mmk_inode *inode, struct list_head *victims)
{
	struct list_head *pos, *n;
	long dropped = 0;

	list_for_each_safe(pos, n, &cache_lru) {
		struct page *p = list_entry(pos, struct page, lru);

		if (inode && p->mapping != inode)
			continue;
		if (page_mapcount(p))
			mmk_warn("filemap: dropping pfn %lu still mapped %d times", page_to_pfn(p),
				 page_mapcount(p));
		cache_remove(p);
		list_add(&p->lru, victims);
		dropped++;
	}
	return dropped;
}

static void put_victims(struct list_head *victims)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, victims) {
		struct page *p = list_entry(pos, struct page, lru);

		list_del_init(&p->lru);
		put_page(p);
	}
}

/* the last mapping of a shmem file is going (@refs_going of its references
 * are the mappings being removed): its pages go with it */
void filemap_file_unmapped(struct file *file, long refs_going)
{
	struct list_head victims = LIST_HEAD_INIT(victims);
	struct mmk_inode *inode;

	if (atomic_read(&file->f_count) > refs_going)
		return;
	pthread_mutex_lock(&cache_lock);
	inode = page_hash ? find_inode(file) : NULL;
	if (inode) {
		drop_inode_pages(inode, &victims);
		inode_free(inode);
	}
	pthread_mutex_unlock(&cache_lock);
	put_victims(&victims);
}

long filemap_drop_all(void)
{
	struct list_head victims = LIST_HEAD_INIT(victims);
	long n;

	pthread_mutex_lock(&cache_lock);
	if (!page_hash) {
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	n = drop_inode_pages(NULL, &victims);
	while (inodes)
		inode_free(inodes);
	pthread_mutex_unlock(&cache_lock);
	put_victims(&victims);
	return n;
}

void filemap_fini(void)
{
	pthread_mutex_lock(&cache_lock);
	while (inodes)
		inode_free(inodes);
	free(page_hash);
	page_hash = NULL;
	nr_cache_pages = 0;
	pthread_mutex_unlock(&cache_lock);
}
