#!/bin/sh
# Write a C++ translation unit that stresses the plugin: N small functions,
# template recursion, lambdas in std::function and std::sort, exceptions,
# multiple and virtual inheritance, a union, bit-fields, varargs, computed
# gotos and inline asm.  Usage: sh gen_stress.sh N > stress.cc
n=${1:-2000}
cat <<'HEAD'
#include <algorithm>
#include <cstdarg>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct A { virtual ~A() {} virtual int f(int x) { return x + 1; } int a = 1; };
struct B { virtual ~B() {} virtual int g(int x) { return x * 2; } int b = 2; };
struct C : A, B { int f(int x) override { return x - a; } int g(int x) override { return x ^ b; } };
struct V1 : virtual A { int v1 = 3; };
struct V2 : virtual A { int v2 = 4; };
struct D : V1, V2 { int f(int x) override { return x + v1 + v2 + a; } };
union U { int i; float f; unsigned char c[4]; };
struct Bits { unsigned lo : 3, mid : 7, hi : 22; };

template <int N> struct Fold { static int go(int x) { return Fold<N - 1>::go(x) * 3 + N; } };
template <> struct Fold<0> { static int go(int x) { return x; } };
template <class T> T twice(T v) { return v + v; }

static int sum_va(int n, ...) {
    va_list ap; va_start(ap, n); int s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap); return s;
}

static int jump(int i) {
    static void *labels[] = {&&l0, &&l1};
    goto *labels[i & 1];
l0: return 0;
l1: return 1;
}

static int raw(int x) {
    int y;
    __asm__("mov %1, %0" : "=r"(y) : "r"(x));
    return y;
}

int may_throw(int x) {
    if (x < 0) throw std::runtime_error("negative");
    return x;
}

int catcher(int x) {
    try { return may_throw(x); }
    catch (const std::exception &e) { return (int)std::string(e.what()).size(); }
}

int lambdas(std::vector<int> &v) {
    int bias = 3;
    std::sort(v.begin(), v.end(), [bias](int a, int b) { return (a ^ bias) < (b ^ bias); });
    std::function<int(int)> fn = [&](int x) { return x + bias + (int)v.size(); };
    auto up = std::make_unique<C>();
    std::map<int, std::string> m{{1, "a"}};
    return fn(v.empty() ? 0 : v[0]) + up->f(1) + (int)m.size();
}

int poly(A *p, B *q, D *d) {
    U u; u.i = 1; Bits bits{1, 2, 3};
    return p->f(1) + q->g(2) + d->f(3) + u.c[0] + bits.mid + sum_va(2, 1, 2) + jump(1) + raw(2);
}
HEAD
i=0
echo "int f0(int x) { return x; }"
while [ "$i" -lt "$n" ]; do
    j=$((i + 1))
    echo "int f$j(int x) { int t[4] = {x, $j, x ^ $j, 0}; return f$i(t[x & 3] + $j) ^ twice<long>(x); }"
    i=$j
done
cat <<TAIL
int use_all(int x) {
    std::vector<int> v{3, 1, 2};
    C c; D d;
    return f$n(x) + Fold<150>::go(x) + lambdas(v) + catcher(x) + poly(&c, &c, &d);
}
TAIL
