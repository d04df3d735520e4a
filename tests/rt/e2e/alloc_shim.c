/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * alloc_shim.c - an LD_PRELOAD module for test_rt_e2e: counts the memory
 * allocations of the sampler's loop thread (the main thread: main() runs
 * sampler_run()) once armed, without the sampler knowing.
 *
 * Armed at the loop thread's SOV_ALLOC_ARM_AFTER-th clock_nanosleep() (the
 * loop sleeps once per cycle: start-up, probes and the first cycles are
 * behind it).  From then on every malloc, calloc, realloc, reallocarray,
 * free (of a non-NULL pointer), posix_memalign, aligned_alloc, memalign,
 * valloc, pvalloc and mmap the loop thread makes between two of its sleeps
 * is counted (after the last sleep: the last cycle, then sampler_destroy()
 * and exit, which free what start-up allocated).  At exit the counts go to
 * the file SOV_ALLOC_REPORT, one line:
 *   armed_ns <CLOCK_MONOTONIC at arming> sleeps <loop sleeps since> allocs <n>
 *   first <call> <size> from <object>+<offset of the caller>
 *
 * Under AddressSanitizer (SOV_SANITIZED) the allocator is ASan's, which a
 * preloaded malloc() must not replace: the counts come from its malloc and
 * free hooks instead (every malloc, calloc, realloc and aligned form ends
 * there).  The sampler then runs with ASAN_OPTIONS verify_asan_link_order=0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TLS __attribute__((tls_model("initial-exec")))

static TLS __thread int is_loop;         /* the main thread: set by the constructor */
static unsigned long arm_after;          /* 0: never armed */
static volatile int armed;
static unsigned long loop_sleeps, armed_sleeps;
static uint64_t armed_ns;
static volatile unsigned long allocs;    /* counted between two of the loop's sleeps */
static volatile unsigned long pending;   /* since the loop's last sleep */
static const char *first_call = "-";
static size_t first_size;
static void *first_caller;               /* the return address of the first counted call */

static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);

/* Count one allocation call @what of @size by the loop thread from @caller, if armed. */
static void count_from(const char *what, size_t size, void *caller)
{
	if (!armed || !is_loop)
		return;
	if (!allocs && !pending) {
		first_call = what;
		first_size = size;
		first_caller = caller;
	}
	pending = pending + 1;
}

#define count(what, size) count_from(what, size, __builtin_return_address(0))

#ifdef SOV_SANITIZED
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));

static void on_malloc(const volatile void *p, size_t size)
{
	(void)p;
	count("malloc-asan-hook", size);
}

static void on_free(const volatile void *p)
{
	if (p)
		count("free-asan-hook", 0);
}
#else
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);
void __libc_free(void *p);

void *malloc(size_t size)
{
	count("malloc", size);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count("calloc", n * size);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count("realloc", size);
	return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	count("reallocarray", n * size);
	return __libc_realloc(p, n * size);
}

void free(void *p)
{
	if (p)
		count("free", 0);
	__libc_free(p);
}

void *memalign(size_t align, size_t size)
{
	count("memalign", size);
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	count("aligned_alloc", size);
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	count("posix_memalign", size);
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	count("valloc", size);
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	count("pvalloc", size);
	return __libc_pvalloc(size);
}
#endif

/*
 * The system call itself: under ASan its runtime maps memory before any
 * constructor of ours has run (a dlsym() then would come too late).
 * syscall() gives -1 with errno on failure: MAP_FAILED, as mmap() does.
 */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	count("mmap", len);
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	if (is_loop && arm_after && !armed && ++loop_sleeps == arm_after) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		armed_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
		armed = 1;
	}
	if (is_loop && armed) {
		armed_sleeps++;
		allocs += pending;
		pending = 0;
	}
	if (!real_clock_nanosleep) /* called before our constructor (a sanitizer's start-up) */
		real_clock_nanosleep = (int (*)(clockid_t, int, const struct timespec *,
						struct timespec *))dlsym(RTLD_NEXT, "clock_nanosleep");
	return real_clock_nanosleep(clk, flags, req, rem);
}

__attribute__((constructor)) static void shim_init(void)
{
	const char *n = getenv("SOV_ALLOC_ARM_AFTER");

	is_loop = 1; /* constructors run on the main thread */
	real_clock_nanosleep = (int (*)(clockid_t, int, const struct timespec *,
					struct timespec *))dlsym(RTLD_NEXT, "clock_nanosleep");
	if (!real_clock_nanosleep)
		abort();
	arm_after = n ? strtoul(n, NULL, 10) : 0;
#ifdef SOV_SANITIZED
	__sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif
}

__attribute__((destructor)) static void shim_report(void)
{
	const char *path = getenv("SOV_ALLOC_REPORT");
	FILE *f;

	armed = 0;
	if (!allocs) /* the first was after the last sleep: the exit path's */
		first_call = "-", first_size = 0, first_caller = NULL;
	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		return;
	{
		Dl_info di = { 0 };

		if (first_caller)
			dladdr(first_caller, &di);
		fprintf(f, "armed_ns %llu sleeps %lu allocs %lu first %s %zu from %s+%#lx\n",
			(unsigned long long)armed_ns, armed_sleeps, allocs, first_call, first_size,
			di.dli_fname ? di.dli_fname : "?",
			(unsigned long)((char *)first_caller - (char *)di.dli_fbase));
	}
	fclose(f);
}
