// malloccount: an LD_PRELOAD shim that counts heap allocations (and anonymous mmaps made by the
// program itself, which Reactor's output pool uses for large regions) and prints the totals to
// stderr when the process exits (or into $MALLOCCOUNT_FILE). Used by bench.sh to report allocations per
// delivered message. Build: gcc -O2 -shared -fPIC -o malloccount.so malloccount.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_ulong allocations, frees, mappings;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

// dlsym itself may call calloc before the real one is known: serve that from a static arena.
static char bootstrap[4096];
static size_t bootstrap_used;

static void resolve(void) {
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_free = dlsym(RTLD_NEXT, "free");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_mmap = dlsym(RTLD_NEXT, "mmap");
}

// glibc's malloc maps memory through an internal entry point, so only the program's own mmap
// calls land here; anonymous ones are allocations too.
void *mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset) {
    if (!real_mmap) resolve();
    if (flags & MAP_ANONYMOUS) atomic_fetch_add_explicit(&mappings, 1, memory_order_relaxed);
    return real_mmap(address, length, protection, flags, fd, offset);
}

void *malloc(size_t n) {
    if (!real_malloc) resolve();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_malloc(n);
}

void *calloc(size_t count, size_t n) {
    if (!real_calloc) {
        size_t bytes = (count * n + 15) & ~(size_t)15;
        if (bootstrap_used + bytes <= sizeof bootstrap) {
            void *p = bootstrap + bootstrap_used;
            bootstrap_used += bytes;
            return p;
        }
        resolve();
    }
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_calloc(count, n);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) resolve();
    if (!p) atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_realloc(p, n);
}

void free(void *p) {
    if ((char *)p >= bootstrap && (char *)p < bootstrap + sizeof bootstrap) return;
    if (!real_free) resolve();
    if (p) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    real_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t n) {
    if (!real_posix_memalign) resolve();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_posix_memalign(out, alignment, n);
}

void *aligned_alloc(size_t alignment, size_t n) {
    if (!real_aligned_alloc) resolve();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_aligned_alloc(alignment, n);
}

__attribute__((destructor)) static void report(void) {
    char line[128];
    int len = snprintf(line, sizeof line, "malloccount allocations=%lu frees=%lu mmaps=%lu\n",
                       atomic_load(&allocations), atomic_load(&frees), atomic_load(&mappings));
    const char *path = getenv("MALLOCCOUNT_FILE");
    FILE *file = path ? fopen(path, "w") : NULL;
    if (file) {
        fputs(line, file);
        fclose(file);
    } else {
        (void)!write(2, line, (size_t)len);
    }
}
