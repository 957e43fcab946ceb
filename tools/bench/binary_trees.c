/* binary-trees baseline for tools/bench-run.mjs: the same trees as
   bench/binary_trees.zeta, but every node is malloc'd and freed one by one.
   Prints the total node count checked. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Tree { struct Tree *left, *right; } Tree;

static Tree *build(int depth) {
    Tree *t = malloc(sizeof *t);
    if (!t) { fputs("out of memory\n", stderr); exit(1); }
    if (depth == 0) { t->left = t->right = NULL; return t; }
    t->left = build(depth - 1);
    t->right = build(depth - 1);
    return t;
}

static long long check(const Tree *t) {
    long long n = 1;
    if (t->left) n += check(t->left);
    if (t->right) n += check(t->right);
    return n;
}

static void release(Tree *t) {
    if (t->left) release(t->left);
    if (t->right) release(t->right);
    free(t);
}

int main(void) {
    const int min_depth = 4, max_depth = 17;
    long long total = 0;

    Tree *stretch = build(max_depth + 1);
    total += check(stretch);
    release(stretch);

    Tree *kept = build(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        int iterations = 1 << (max_depth - depth + min_depth);
        long long nodes = 0;
        for (int i = 0; i < iterations; i++) {
            Tree *t = build(depth);
            nodes += check(t);
            release(t);
        }
        total += nodes;
    }
    total += check(kept);
    release(kept);
    printf("%lld\n", total);
    return 0;
}
