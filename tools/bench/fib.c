/* fib baseline for tools/bench-run.mjs: naive recursive fib, 40 rounds of fib(32)
   and fib(31) alternately, as bench/fib.zeta. Prints the sum. */
#include <stdio.h>

static long long fib(int n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

int main(void) {
    long long total = 0;
    for (int round = 0; round < 40; round++) total += fib(32 - round % 2);
    printf("%lld\n", total);
    return 0;
}
