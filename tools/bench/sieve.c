/* Sieve of Eratosthenes baseline for tools/bench-run.mjs: the same limit and rounds
   as bench/sieve.zeta, over a bool array. Prints the prime count times the rounds
   plus the sum of the primes of the last round. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const long long limit = 10000000, rounds = 10;
    long long total = 0;
    for (long long round = 0; round < rounds; round++) {
        bool *composite = calloc(limit + 1, sizeof *composite);
        if (!composite) { fputs("out of memory\n", stderr); return 1; }
        long long count = 0, sum = 0;
        for (long long i = 2; i <= limit; i++) {
            if (composite[i]) continue;
            count++;
            sum += i;
            for (long long k = i * i; k <= limit; k += i) composite[k] = true;
        }
        free(composite);
        total += count;
        if (round == rounds - 1) total += sum;
    }
    printf("%lld\n", total);
    return 0;
}
