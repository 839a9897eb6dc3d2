/* SPDX-License-Identifier: MIT */
/*
 * tests/harness.h - a tiny test runner in the manner of libuv's: tests are
 * listed once in an X-macro, each runs in its own process with a timeout,
 * and the binary prints one line per test:
 *   PASS suite.name | FAIL suite.name: why | SKIP suite.name: why
 * Usage:
 *   TEST(foo) { CHECK(1 + 1 == 2); }
 *   #define TESTS(X) X(foo) X(bar)
 *   TEST_MAIN("suite", TESTS)
 * `binary NAME` runs one test in-process (for a debugger).
 */
#ifndef MMK_TEST_HARNESS_H
#define MMK_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			exit(1);                                                        \
		}                                                                       \
	} while (0)
#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		long long _a = (long long)(a), _b = (long long)(b);                     \
		if (_a != _b) {                                                         \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld, %#llx vs %#llx)\n", \
				__FILE__, __LINE__, #a, #b, _a, _b, _a, _b);            \
			exit(1);                                                        \
		}                                                                       \
	} while (0)
#define CHECK_STR(a, b)                                                                 \
	do {                                                                            \
		const char *_a = (a), *_b = (b);                                        \
		if (strcmp(_a, _b) != 0) {                                              \
			fprintf(stderr, "%s:%d: CHECK_STR failed:\n--- got\n%s\n--- expected\n%s\n", \
				__FILE__, __LINE__, _a, _b);                            \
			exit(1);                                                        \
		}                                                                       \
	} while (0)
/* a test that cannot run here says why and exits with 77 */
#define SKIP(why)                                  \
	do {                                       \
		fprintf(stderr, "SKIPREASON %s\n", why); \
		exit(77);                          \
	} while (0)

struct mmk_test { const char *name; void (*fn)(void); };
#define MMK_TEST_ENTRY(name) { #name, test_##name },

static inline int mmk_test_main(const char *suite, const struct mmk_test *t, int n, int argc, char **argv)
{
	int failed = 0;
	unsigned timeout = getenv("MMK_TEST_TIMEOUT") ? (unsigned)atoi(getenv("MMK_TEST_TIMEOUT")) : 120;
	for (int i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], t[i].name) != 0)
			continue;
		if (argc > 1) { /* in-process */
			t[i].fn();
			printf("PASS %s.%s\n", suite, t[i].name);
			return 0;
		}
		fflush(stdout);
		int pipefd[2];
		if (pipe(pipefd) != 0) { perror("pipe"); return 2; }
		pid_t pid = fork();
		if (pid == 0) {
			close(pipefd[0]);
			dup2(pipefd[1], 2);
			alarm(timeout);
			t[i].fn();
			exit(0);
		}
		close(pipefd[1]);
		char buf[8192]; size_t len = 0; ssize_t r;
		while ((r = read(pipefd[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
			len += (size_t)r;
			if (len >= sizeof(buf) - 1) { /* keep the tail */
				memmove(buf, buf + 4096, len - 4096); len -= 4096;
			}
		}
		buf[len] = 0;
		close(pipefd[0]);
		int st = 0;
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("PASS %s.%s\n", suite, t[i].name);
		} else if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
			char *why = strstr(buf, "SKIPREASON ");
			char *nl = why ? strchr(why, '\n') : NULL;
			if (nl) *nl = 0;
			printf("SKIP %s.%s: %s\n", suite, t[i].name, why ? why + 11 : "skipped");
		} else {
			failed++;
			printf("FAIL %s.%s: %s %d\n%s", suite, t[i].name,
			       WIFSIGNALED(st) ? "signal" : "exit",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), buf);
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
				printf("  (timed out after %us)\n", timeout);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

#define TEST_MAIN(suite, LIST)                                                     \
	int main(int argc, char **argv)                                            \
	{                                                                          \
		static const struct mmk_test tests_[] = { LIST(MMK_TEST_ENTRY) };  \
		return mmk_test_main(suite, tests_, (int)(sizeof(tests_) / sizeof(tests_[0])), argc, argv); \
	}

#endif
