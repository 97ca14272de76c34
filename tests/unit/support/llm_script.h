/* Scripted answers of the fake server and a harness running fm_analyze on
 * tests/analyze/chain against it (shared by the test_llm_* tests). */
#ifndef FM_TEST_LLM_SCRIPT_H
#define FM_TEST_LLM_SCRIPT_H

#include "llm/llm_int.h"
#include "fake_llm.h"

#define KEY "sk-fmtest-SECRET-0123456789"
/* credentials a server might echo (not the key) */
#define BEARER "Bearer abcDEF123456789.xyz_ghij"
#define GHTOKEN "ghp_0123456789abcdefABCDEFghijklmnopqr"
#define JWT "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36"

typedef struct llmt_script {
    int scenario;
    int calls;
    const char *cmp;           /* answer to the cost question */
} llmt_script;

enum {
    S_GOOD, S_ONE_CHOICE, S_429, S_429_DATE, S_429_LONG, S_500_ONCE, S_503, S_SLOW,
    S_MIXED, S_TRUNCATED, S_MALFORMED_ALL, S_OVERSIZED, S_FORMATS, S_N_REFUSED,
    S_OSERIES, S_ADVERSARIAL, S_ECHO_KEY_400, S_401, S_DELAY, S_CLOSE_ONCE,
    S_ECHO_SECRET /* good answers whose reason repeats the key and bearer tokens */
};

typedef struct llmt_env {
    fake_llm *srv;
    llmt_script sc;
    char cache[128];
    fm_summary_set sums;
    fm_analyze_opts o;
    fm_strset only;
    fm_attrs attrs;
    fm_analyze_stats st;
    fm_error err;
    long progress_calls, progress_done, progress_total;
} llmt_env;

/* The right answer for each NF of tests/analyze/chain. */
const char *llmt_good_answer(const char *nf);
void llmt_reply_with(fake_reply *r, const char *content, int n, const char *finish);
/* The fake server's llmt_handler: ctx is a llmt_script. */
void llmt_handler(void *ctx, const fake_req *q, fake_reply *r);
/* Start a server for the scenario, load the summaries, set options (3
 * samples, fast backoff, a private cache dir); only = "A,B" or NULL. */
void llmt_open(llmt_env *e, int scenario, const char *only);
int llmt_run(llmt_env *e);
void llmt_close(llmt_env *e);
const fm_elem_attrs *llmt_el(llmt_env *e, const char *name);
cJSON *llmt_llm_of(llmt_env *e, const char *name);          /* caller deletes */
int llmt_llm_num(llmt_env *e, const char *name, const char *field);
int llmt_tree_contains(const char *dir, const char *needle);   /* files holding it */
int llmt_differs_from_static(llmt_env *e);                /* elements that differ */
const char *llmt_root(void);
double llmt_mono(void);

#endif
