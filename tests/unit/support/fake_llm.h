/* A fake OpenAI-compatible chat-completions server for the analyze tests:
 * HTTP/1.1 on 127.0.0.1, an ephemeral port, one thread per connection,
 * keep-alive, "Expect: 100-continue".  Every request is recorded and
 * answered by a handler the test writes (scripted per request), which can
 * delay, close without replying, advertise a longer body than it sends
 * (truncation), or send any status, headers and body. */
#ifndef FM_TEST_FAKE_LLM_H
#define FM_TEST_FAKE_LLM_H

#include <stddef.h>

typedef struct fake_req {
    int index;              /* order of arrival, from 0 */
    char method[16];
    char path[256];
    char *headers;          /* the raw header block */
    char *body;
    size_t body_len;
    double t;               /* arrival, seconds since the server started */
    /* parsed from the body (chat-completions request) */
    int n;                  /* "n", 1 when absent */
    int seed;               /* "seed", -1 when absent */
    char format[16];        /* json_schema | json_object | none */
    int has_temperature;
    int has_max_tokens, has_max_completion_tokens;
    int compare;            /* the cost-comparison question */
    char nf[128];           /* first "NF <name>" in the user message */
    char auth[512];         /* Authorization header value, "" when absent */
} fake_req;

typedef struct fake_reply {
    int status;             /* 0: close the connection without replying */
    double delay_s;         /* wait before replying */
    char headers[512];      /* extra header lines, each ending in "\r\n" */
    char *body;             /* malloc'd; the server frees it */
    long advertised_len;    /* -1: the real length; else this Content-Length
                               is sent, then the connection is closed */
} fake_reply;

typedef void (*fake_handler)(void *ctx, const fake_req *req, fake_reply *rep);
typedef struct fake_llm fake_llm;

/* Start listening; the handler runs under the server's lock (one at a time). */
fake_llm *fake_llm_start(fake_handler h, void *ctx);
const char *fake_llm_url(const fake_llm *f);   /* "http://127.0.0.1:PORT/v1" */
int fake_llm_count(fake_llm *f);               /* requests received so far */
/* A copy of request i (free with fake_req_free), NULL if out of range. */
fake_req *fake_llm_request(fake_llm *f, int i);
void fake_req_free(fake_req *r);
/* Forget the recorded requests (the count restarts at 0). */
void fake_llm_reset(fake_llm *f);
void fake_llm_stop(fake_llm *f);

/* A chat.completion body with n choices (content[i], finish_reason). */
char *fake_completion(const char *const *content, int n, const char *finish);
/* A body {"error": {"message": msg, ...}}. */
char *fake_error_body(const char *msg);
/* A loopback port on which nothing listens (bound, then closed). */
int fake_dead_port(void);

#endif
