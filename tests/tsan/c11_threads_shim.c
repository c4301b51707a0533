// LD_PRELOAD shim for running TSan builds with librdkafka on glibc >= 2.34.
//
// librdkafka uses C11 <threads.h> (thrd_create, mtx_lock, cnd_wait, ...).
// glibc implements those by calling its *internal* pthread functions, which
// GCC 12's libtsan (and clang 14's) do not intercept. Consequences:
//  - threads made by thrd_create are unknown to TSan; their first malloc
//    crashes inside the TSan allocator (SEGV at 0xc38, "nested bug");
//  - librdkafka's mutexes/condvars are invisible (false races).
// Forwarding each C11 call to the public pthread function (the interceptor)
// fixes both; glibc's C11 types are layout-compatible with the pthread ones.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

static int map_err(int e) {
  switch (e) {
    case 0:
      return thrd_success;
    case ENOMEM:
      return thrd_nomem;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    default:
      return thrd_error;
  }
}

struct start {
  thrd_start_t fn;
  void* arg;
};

static void* trampoline(void* p) {
  struct start s = *(struct start*)p;
  free(p);
  return (void*)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t* thr, thrd_start_t fn, void* arg) {
  struct start* s = malloc(sizeof *s);
  if (!s) return thrd_nomem;
  s->fn = fn;
  s->arg = arg;
  int e = pthread_create((pthread_t*)thr, NULL, trampoline, s);
  if (e) free(s);
  return map_err(e);
}
int thrd_join(thrd_t thr, int* res) {
  void* r;
  int e = pthread_join((pthread_t)thr, &r);
  if (!e && res) *res = (int)(intptr_t)r;
  return map_err(e);
}
int thrd_detach(thrd_t thr) { return map_err(pthread_detach((pthread_t)thr)); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  if (type & mtx_recursive) pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  int e = pthread_mutex_init((pthread_mutex_t*)m, &a);
  pthread_mutexattr_destroy(&a);
  return map_err(e);
}
int mtx_lock(mtx_t* m) { return map_err(pthread_mutex_lock((pthread_mutex_t*)m)); }
int mtx_trylock(mtx_t* m) { return map_err(pthread_mutex_trylock((pthread_mutex_t*)m)); }
int mtx_timedlock(mtx_t* restrict m, const struct timespec* restrict t) {
  return map_err(pthread_mutex_timedlock((pthread_mutex_t*)m, t));
}
int mtx_unlock(mtx_t* m) { return map_err(pthread_mutex_unlock((pthread_mutex_t*)m)); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy((pthread_mutex_t*)m); }

int cnd_init(cnd_t* c) { return map_err(pthread_cond_init((pthread_cond_t*)c, NULL)); }
int cnd_signal(cnd_t* c) { return map_err(pthread_cond_signal((pthread_cond_t*)c)); }
int cnd_broadcast(cnd_t* c) { return map_err(pthread_cond_broadcast((pthread_cond_t*)c)); }
int cnd_wait(cnd_t* c, mtx_t* m) {
  return map_err(pthread_cond_wait((pthread_cond_t*)c, (pthread_mutex_t*)m));
}
int cnd_timedwait(cnd_t* restrict c, mtx_t* restrict m, const struct timespec* restrict t) {
  return map_err(pthread_cond_timedwait((pthread_cond_t*)c, (pthread_mutex_t*)m, t));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy((pthread_cond_t*)c); }

void call_once(once_flag* f, void (*fn)(void)) { pthread_once((pthread_once_t*)f, fn); }
