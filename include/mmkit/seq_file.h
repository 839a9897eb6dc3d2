/* SPDX-License-Identifier: MIT */
/* mmkit/seq_file.h - a growing text buffer (the kernel's seq_file) for /proc output */
#ifndef MMKIT_SEQ_FILE_H
#define MMKIT_SEQ_FILE_H

#include <stddef.h>

struct seq_file {
	char *buf;
	size_t size;  /* allocated */
	size_t count; /* used, not counting the NUL kept at buf[count] */
	int error;    /* -ENOMEM once an append failed */
};

void seq_init(struct seq_file *m);
void seq_release(struct seq_file *m);
void seq_printf(struct seq_file *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seq_puts(struct seq_file *m, const char *s);
void seq_putc(struct seq_file *m, char c);
/* pad with spaces to column @col (counted from the last newline) */
void seq_pad_to(struct seq_file *m, size_t col);

#endif /* MMKIT_SEQ_FILE_H */
