/* SPDX-License-Identifier: MIT */
/*
 * src/seq_file.c - a growing text buffer for /proc-style output.
 *
 * The buffer starts empty (buf NULL, count 0) and grows by doubling. Once
 * any append call has run successfully buf is non-NULL and buf[count] is
 * always a NUL, so buf can be printed at any time. When the buffer cannot
 * grow, m->error becomes -ENOMEM, the text already there is kept, and every
 * later append does nothing.
 */
#include <mmkit/seq_file.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEQ_MIN_SIZE 128

void seq_init(struct seq_file *m)
{
	m->buf = NULL;
	m->size = 0;
	m->count = 0;
	m->error = 0;
}

void seq_release(struct seq_file *m)
{
	free(m->buf);
	seq_init(m);
}

/*
 * Make room for @extra more characters plus the NUL. Returns false (and
 * latches -ENOMEM) if that is impossible; also false once an earlier
 * append failed.
 */
static bool seq_reserve(struct seq_file *m, size_t extra)
{
	size_t need, want;
	char *nb;

	if (m->error)
		return false;
	if (extra > SIZE_MAX - 1 - m->count)
		goto nomem;
	need = m->count + extra + 1;
	if (m->buf && need <= m->size)
		return true;

	want = m->size ? m->size : SEQ_MIN_SIZE;
	while (want < need) {
		if (want > SIZE_MAX / 2) {
			want = need;
			break;
		}
		want *= 2;
	}
	nb = realloc(m->buf, want);
	if (!nb && want > need) {
		/* doubling was too greedy: try for just what is needed */
		want = need;
		nb = realloc(m->buf, want);
	}
	if (!nb)
		goto nomem;
	if (!m->buf)
		nb[0] = '\0';
	m->buf = nb;
	m->size = want;
	return true;

nomem:
	m->error = -ENOMEM;
	return false;
}

static void seq_append(struct seq_file *m, const char *s, size_t len)
{
	if (!seq_reserve(m, len))
		return;
	memcpy(m->buf + m->count, s, len);
	m->count += len;
	m->buf[m->count] = '\0';
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* make sure there is a buffer (and some room) before the first try */
	if (!seq_reserve(m, 0))
		return;

	va_start(ap, fmt);
	n = vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
	va_end(ap);
	if (n < 0) {
		/* an encoding error: append nothing, keep the old text intact */
		m->buf[m->count] = '\0';
		return;
	}
	if ((size_t)n >= m->size - m->count) {
		/* did not fit: the first attempt wrote a truncated copy past
		 * count, which the second attempt overwrites */
		if (!seq_reserve(m, (size_t)n)) {
			m->buf[m->count] = '\0';
			return;
		}
		va_start(ap, fmt);
		vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
		va_end(ap);
	}
	m->count += (size_t)n;
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_append(m, s, strlen(s));
}

void seq_putc(struct seq_file *m, char c)
{
	seq_append(m, &c, 1);
}

void seq_pad_to(struct seq_file *m, size_t col)
{
	size_t line_len = m->count;
	size_t pad;

	if (m->buf) {
		const char *nl = memrchr(m->buf, '\n', m->count);

		if (nl)
			line_len = m->count - (size_t)(nl - m->buf) - 1;
	}
	pad = col > line_len ? col - line_len : 0;
	if (!seq_reserve(m, pad))
		return;
	memset(m->buf + m->count, ' ', pad);
	m->count += pad;
	m->buf[m->count] = '\0';
}
