/* SPDX-License-Identifier: MIT */
/* tests/test_seq_file.c - the growing text buffer behind /proc output */
#include <mmkit/seq_file.h>

#include <errno.h>
#include <stdint.h>

#include "harness.h"

/*
 * The out-of-memory test asks for an absurd amount of memory and expects
 * malloc to say no. Sanitizer runtimes abort on such a request unless told
 * to return NULL instead; these hooks say so for this binary only (they are
 * plain unused functions in a build without sanitizers).
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "allocator_may_return_null=1"; }

/* buf is a valid string of exactly count characters */
static void check_consistent(const struct seq_file *m)
{
	CHECK(m->buf != NULL);
	CHECK(m->count < m->size);
	CHECK_EQ(strlen(m->buf), m->count);
}

TEST(init_release)
{
	struct seq_file m;

	memset(&m, 0x5a, sizeof(m));
	seq_init(&m);
	CHECK(m.buf == NULL);
	CHECK_EQ(m.count, 0);
	CHECK_EQ(m.size, 0);
	CHECK_EQ(m.error, 0);
	seq_release(&m); /* releasing an empty one is fine */
	CHECK(m.buf == NULL);
	CHECK_EQ(m.count, 0);

	seq_puts(&m, "abc");
	check_consistent(&m);
	CHECK_STR(m.buf, "abc");
	seq_release(&m);
	CHECK(m.buf == NULL);
	CHECK_EQ(m.count, 0);
	CHECK_EQ(m.size, 0);
	/* reusable after release */
	seq_putc(&m, 'z');
	CHECK_STR(m.buf, "z");
	seq_release(&m);
}

TEST(empty_appends_give_a_string)
{
	struct seq_file m;

	seq_init(&m);
	seq_puts(&m, "");
	check_consistent(&m);
	CHECK_STR(m.buf, "");
	seq_release(&m);

	seq_init(&m);
	seq_printf(&m, "%s", "");
	check_consistent(&m);
	CHECK_STR(m.buf, "");
	seq_release(&m);

	seq_init(&m);
	seq_pad_to(&m, 0);
	check_consistent(&m);
	CHECK_STR(m.buf, "");
	seq_release(&m);
}

TEST(puts_putc_printf)
{
	struct seq_file m;

	seq_init(&m);
	seq_puts(&m, "Name:\t");
	seq_printf(&m, "%s pid %d", "init", 1);
	seq_putc(&m, '\n');
	seq_printf(&m, "%08lx-%08lx %c%c%c%c\n", 0x400000UL, 0x401000UL, 'r', '-', 'x', 'p');
	check_consistent(&m);
	CHECK_STR(m.buf, "Name:\tinit pid 1\n00400000-00401000 r-xp\n");
	CHECK_EQ(m.error, 0);
	seq_release(&m);
}

/* many appends of every kind across many reallocations */
TEST(growth)
{
	struct seq_file m;
	size_t expect_len = 0;
	char *expect = malloc(1 << 20);

	CHECK(expect);
	seq_init(&m);
	for (int i = 0; i < 20000; i++) {
		char tmp[64];
		int n;
		switch (i % 3) {
		case 0:
			seq_printf(&m, "line %d value %x;", i, i * 7);
			n = snprintf(tmp, sizeof(tmp), "line %d value %x;", i, i * 7);
			memcpy(expect + expect_len, tmp, (size_t)n);
			expect_len += (size_t)n;
			break;
		case 1:
			seq_puts(&m, "word");
			memcpy(expect + expect_len, "word", 4);
			expect_len += 4;
			break;
		default:
			seq_putc(&m, (char)('a' + i % 26));
			expect[expect_len++] = (char)('a' + i % 26);
			break;
		}
		CHECK_EQ(m.count, expect_len);
		CHECK(m.buf[m.count] == '\0');
	}
	expect[expect_len] = '\0';
	check_consistent(&m);
	CHECK(memcmp(m.buf, expect, expect_len + 1) == 0);
	CHECK_EQ(m.error, 0);
	seq_release(&m);
	free(expect);
}

/* one printf much larger than the buffer so far, and one exactly at the edge */
TEST(printf_large)
{
	struct seq_file m;
	char *big = malloc(100001);

	CHECK(big);
	memset(big, 'q', 100000);
	big[100000] = '\0';
	seq_init(&m);
	seq_putc(&m, '<');
	seq_printf(&m, "%s>", big);
	check_consistent(&m);
	CHECK_EQ(m.count, 100002);
	CHECK(m.buf[0] == '<' && m.buf[1] == 'q' && m.buf[100000] == 'q' && m.buf[100001] == '>');
	seq_release(&m);

	/* fill to exactly the allocation, then one more character */
	seq_init(&m);
	seq_putc(&m, 'x');
	size_t room = m.size - m.count - 1;
	memset(big, 'y', room);
	big[room] = '\0';
	seq_printf(&m, "%s", big);
	check_consistent(&m);
	CHECK_EQ(m.count, room + 1);
	size_t size_before = m.size;
	seq_printf(&m, "%d", 7);
	check_consistent(&m);
	CHECK(m.size > size_before);
	CHECK(m.buf[m.count - 1] == '7');
	seq_release(&m);
	free(big);
}

TEST(pad_to)
{
	struct seq_file m;

	seq_init(&m);
	seq_pad_to(&m, 4); /* on an empty buffer */
	CHECK_STR(m.buf, "    ");
	seq_puts(&m, "ab");
	seq_pad_to(&m, 4); /* line already longer: nothing */
	CHECK_STR(m.buf, "    ab");
	seq_pad_to(&m, 8);
	seq_putc(&m, '|');
	CHECK_STR(m.buf, "    ab  |");
	seq_putc(&m, '\n');
	seq_pad_to(&m, 3); /* counted from the newline */
	seq_puts(&m, "x\n");
	seq_puts(&m, "12345");
	seq_pad_to(&m, 5); /* exactly there already */
	seq_pad_to(&m, 0);
	seq_putc(&m, '|');
	CHECK_STR(m.buf, "    ab  |\n   x\n12345|");
	/* a /proc/PID/maps-like column */
	seq_putc(&m, '\n');
	seq_printf(&m, "%08lx-%08lx r--p 00000000 00:00 0", 0x1000UL, 0x2000UL);
	seq_pad_to(&m, 73);
	seq_puts(&m, "[heap]");
	const char *last = strrchr(m.buf, '\n') + 1;
	CHECK_EQ(strlen(last), 73 + 6);
	CHECK(strcmp(last + 73, "[heap]") == 0);
	CHECK(last[72] == ' ');
	check_consistent(&m);
	seq_release(&m);
}

TEST(out_of_memory)
{
	struct seq_file m;

	seq_init(&m);
	seq_puts(&m, "kept");
	/* padding to a column no machine can hold */
	seq_pad_to(&m, SIZE_MAX / 2);
	CHECK_EQ(m.error, -ENOMEM);
	CHECK_STR(m.buf, "kept");
	CHECK_EQ(m.count, 4);
	/* later appends do nothing */
	seq_puts(&m, "more");
	seq_putc(&m, '!');
	seq_printf(&m, "%d", 5);
	seq_pad_to(&m, 10);
	CHECK_STR(m.buf, "kept");
	CHECK_EQ(m.error, -ENOMEM);
	seq_release(&m);
	CHECK_EQ(m.error, 0);

	/* the size overflow check, before any allocation */
	seq_init(&m);
	seq_pad_to(&m, SIZE_MAX);
	CHECK_EQ(m.error, -ENOMEM);
	CHECK(m.buf == NULL);
	CHECK_EQ(m.count, 0);
	seq_release(&m);
}

#define TESTS(X) X(init_release) X(empty_appends_give_a_string) X(puts_putc_printf) \
	X(growth) X(printf_large) X(pad_to) X(out_of_memory)
TEST_MAIN("seq_file", TESTS)
