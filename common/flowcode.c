/* Click flow codes ("x/x", "#/#", "xy/x", "#/[^#]"): which input ports of an
 * element can send packets to which output ports (attrs "flow_code").
 *
 * A code is an input specification and an output specification separated
 * by '/'.  Each is a sequence of port codes, the last one repeated for the
 * ports past the end: a letter, '#' (the port's own number), or a bracketed
 * set "[ab#]" / "[^ab#]" of them.  Input i reaches output j when their codes
 * share a token; '#' of input i and '#' of output j are the same token only
 * when i == j.  A negated set matches every token it does not list, '#' of
 * every other port included (so it never reaches less than Click's own
 * reading: the walk over the graph stays an over-approximation). */
#include <ctype.h>
#include <string.h>

#include "flowmage/attrs.h"

typedef struct pcode {
    unsigned long long letters; /* bit per letter a-z, A-Z */
    int hash, negated;
} pcode;

static int letter_bit(char c, unsigned long long *bit)
{
    if (c >= 'a' && c <= 'z')
        *bit = 1ull << (c - 'a');
    else if (c >= 'A' && c <= 'Z')
        *bit = 1ull << (26 + c - 'A');
    else
        return -1;
    return 0;
}

/* The code at *s; advances *s.  -1 on a syntax error. */
static int next_code(const char **s, const char *end, pcode *out)
{
    memset(out, 0, sizeof *out);
    const char *p = *s;
    if (p >= end)
        return -1;
    if (*p != '[') {
        unsigned long long b;
        if (*p == '#')
            out->hash = 1;
        else if (letter_bit(*p, &b) == 0)
            out->letters = b;
        else
            return -1;
        *s = p + 1;
        return 0;
    }
    p++;
    if (p < end && *p == '^') {
        out->negated = 1;
        p++;
    }
    for (; p < end && *p != ']'; p++) {
        unsigned long long b;
        if (*p == '#')
            out->hash = 1;
        else if (letter_bit(*p, &b) == 0)
            out->letters |= b;
        else
            return -1;
    }
    if (p >= end)
        return -1;
    *s = p + 1;
    return 0;
}

/* Code of port `port` in the specification [s, end). */
static int code_of(const char *s, const char *end, int port, pcode *out)
{
    int n = 0;
    if (s >= end)
        return -1;
    while (s < end) {
        if (next_code(&s, end, out) != 0)
            return -1;
        if (n++ == port)
            return 0;
    }
    return 0; /* the last code repeats */
}

static int split(const char *code, const char **slash)
{
    *slash = code ? strchr(code, '/') : NULL;
    return *slash && !strchr(*slash + 1, '/') ? 0 : -1;
}

int fm_flow_code_check(const char *code)
{
    const char *slash;
    if (split(code, &slash) != 0)
        return -1;
    const char *sides[2][2] = {{code, slash}, {slash + 1, code + strlen(code)}};
    for (int k = 0; k < 2; k++) {
        const char *s = sides[k][0], *end = sides[k][1];
        if (s >= end)
            return -1;
        pcode c;
        while (s < end)
            if (next_code(&s, end, &c) != 0)
                return -1;
    }
    return 0;
}

int fm_flow_code_reaches(const char *code, int in, int out)
{
    const char *slash;
    pcode a, b;
    if (!code || split(code, &slash) != 0 || code_of(code, slash, in, &a) != 0 ||
        code_of(slash + 1, code + strlen(code), out, &b) != 0)
        return 1; /* unknown: every input reaches every output */
    unsigned long long la = a.negated ? ~a.letters : a.letters;
    unsigned long long lb = b.negated ? ~b.letters : b.letters;
    if (la & lb & ((1ull << 52) - 1))
        return 1;
    /* '#' tokens: a holds {in} (or all but {in} when negated, all when
     * negated without '#'); b likewise for out */
    if (!a.negated && !b.negated)
        return a.hash && b.hash && in == out;
    if (!a.negated)
        return a.hash && (!b.hash || in != out);
    if (!b.negated)
        return b.hash && (!a.hash || in != out);
    return 1;
}
