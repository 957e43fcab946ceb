/*
 * Hand-written C equivalent of examples/channel_stress.zeta, the baseline of
 * tools/bench-channel.mjs: 4 producers send 1..=N through one bounded channel (a ring
 * buffer of 1024 int64s under one mutex with two condition variables, as the Zeta
 * runtime's channel), 4 consumers sum what they receive. Prints the total and "ok".
 *
 *   cc -O2 -pthread tools/bench/channel.c -o channel && ./channel [N]
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CAP 1024
#define PRODUCERS 4
#define CONSUMERS 4

static struct {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  int64_t* buf; /* allocated apart from the lock, as the runtime's channel */
  int64_t head, count;
  bool closed;
} ch = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, false };

static void send(int64_t v) {
  pthread_mutex_lock(&ch.mu);
  while (ch.count == CAP && !ch.closed) pthread_cond_wait(&ch.not_full, &ch.mu);
  ch.buf[(ch.head + ch.count) % CAP] = v;
  ch.count++;
  pthread_cond_signal(&ch.not_empty);
  pthread_mutex_unlock(&ch.mu);
}

static bool recv(int64_t* out) {
  pthread_mutex_lock(&ch.mu);
  while (ch.count == 0 && !ch.closed) pthread_cond_wait(&ch.not_empty, &ch.mu);
  if (ch.count == 0) { pthread_mutex_unlock(&ch.mu); return false; }
  *out = ch.buf[ch.head];
  ch.head = (ch.head + 1) % CAP;
  ch.count--;
  pthread_cond_signal(&ch.not_full);
  pthread_mutex_unlock(&ch.mu);
  return true;
}

static void close_channel(void) {
  pthread_mutex_lock(&ch.mu);
  ch.closed = true;
  pthread_cond_broadcast(&ch.not_empty);
  pthread_cond_broadcast(&ch.not_full);
  pthread_mutex_unlock(&ch.mu);
}

typedef struct { int64_t first, last, sum; } job;

static void* produce(void* arg) {
  job* j = arg;
  for (int64_t i = j->first; i <= j->last; i++) send(i);
  return NULL;
}

static void* consume(void* arg) {
  job* j = arg;
  int64_t v, sum = 0; /* a local: consumers' jobs share cache lines */
  while (recv(&v)) sum += v;
  j->sum = sum;
  return NULL;
}

int main(int argc, char** argv) {
  int64_t n = argc > 1 ? strtoll(argv[1], NULL, 10) : 1000000;
  ch.buf = malloc(CAP * sizeof *ch.buf);
  if (!ch.buf) return 1;
  pthread_t cons[CONSUMERS], prods[PRODUCERS];
  job cjobs[CONSUMERS] = { { 0 } }, pjobs[PRODUCERS];
  for (int c = 0; c < CONSUMERS; c++) pthread_create(&cons[c], NULL, consume, &cjobs[c]);
  int64_t per = n / PRODUCERS;
  for (int p = 0; p < PRODUCERS; p++) {
    pjobs[p] = (job){ p * per + 1, p == PRODUCERS - 1 ? n : (p + 1) * per, 0 };
    pthread_create(&prods[p], NULL, produce, &pjobs[p]);
  }
  for (int p = 0; p < PRODUCERS; p++) pthread_join(prods[p], NULL);
  close_channel();
  int64_t total = 0;
  for (int c = 0; c < CONSUMERS; c++) { pthread_join(cons[c], NULL); total += cjobs[c].sum; }
  printf("%lld\n%s\n", (long long)total, total == n * (n + 1) / 2 ? "ok" : "wrong sum");
  return 0;
}
