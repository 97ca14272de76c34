/* The fake chat-completions server (see fake_llm.h). */
#define _GNU_SOURCE   /* memmem */
#include "fake_llm.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    pthread_t th;
    struct fake_llm *f;
} conn;

struct fake_llm {
    int lfd, port;
    char url[64];
    fake_handler h;
    void *ctx;
    pthread_t accept_th;
    pthread_mutex_t mu;
    volatile int stop;
    conn **conns;
    size_t nconns;
    fake_req *reqs;
    int nreqs;
    int counter;
    double t0;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Header value (case-insensitive name) into out; 0 if found. */
static int header(const char *hdrs, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    for (const char *p = hdrs; p && *p; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r\n");
            snprintf(out, n, "%.*s", (int)l, v);
            return 0;
        }
    }
    return -1;
}

static void parse_body(fake_req *r)
{
    r->n = 1;
    r->seed = -1;
    snprintf(r->format, sizeof r->format, "none");
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    if (!j)
        return;
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "n");
    if (cJSON_IsNumber(v))
        r->n = v->valueint;
    v = cJSON_GetObjectItemCaseSensitive(j, "seed");
    if (cJSON_IsNumber(v))
        r->seed = v->valueint;
    r->has_temperature = cJSON_HasObjectItem(j, "temperature");
    r->has_max_tokens = cJSON_HasObjectItem(j, "max_tokens");
    r->has_max_completion_tokens = cJSON_HasObjectItem(j, "max_completion_tokens");
    v = cJSON_GetObjectItemCaseSensitive(j, "response_format");
    cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "type");
    if (cJSON_IsString(t))
        snprintf(r->format, sizeof r->format, "%s", t->valuestring);
    cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "messages");
    cJSON *it;
    cJSON_ArrayForEach(it, m)
    {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "content");
        cJSON *role = cJSON_GetObjectItemCaseSensitive(it, "role");
        if (!cJSON_IsString(c) || !cJSON_IsString(role))
            continue;
        /* the question is in the system message, the NF in the user's */
        if (strstr(c->valuestring, "Which NF, A or B"))
            r->compare = 1;
        if (strcmp(role->valuestring, "user") != 0)
            continue;
        const char *p = strstr(c->valuestring, "NF ");
        if (p) {
            p += 3;
            size_t l = strcspn(p, " (\n");
            snprintf(r->nf, sizeof r->nf, "%.*s", (int)l, p);
        }
    }
    cJSON_Delete(j);
}

static void sleep_interruptible(fake_llm *f, double s)
{
    double end = mono() + s;
    while (!f->stop && mono() < end) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    fake_llm *f = c->f;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (!f->stop) {
        char *end;
        while (!(end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL)) {
            if (len + 65536 > cap)
                buf = xrealloc(buf, cap = len + 65536);
            ssize_t r = recv(c->fd, buf + len, cap - len, 0);
            if (r <= 0)
                goto out;
            len += (size_t)r;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        fake_req q;
        memset(&q, 0, sizeof q);
        q.headers = xstrndup(buf, hlen);
        sscanf(q.headers, "%15s %255s", q.method, q.path);
        char v[512];
        size_t blen = header(q.headers, "Content-Length", v, sizeof v) == 0
                          ? strtoul(v, NULL, 10) : 0;
        if (header(q.headers, "Expect", v, sizeof v) == 0 &&
            strcasecmp(v, "100-continue") == 0)
            send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
        while (len < hlen + blen) {
            if (hlen + blen > cap)
                buf = xrealloc(buf, cap = hlen + blen + 1);
            ssize_t r = recv(c->fd, buf + len, cap - len, 0);
            if (r <= 0) {
                free(q.headers);
                goto out;
            }
            len += (size_t)r;
        }
        q.body = xstrndup(buf + hlen, blen);
        q.body_len = blen;
        memmove(buf, buf + hlen + blen, len - hlen - blen);
        len -= hlen + blen;
        if (header(q.headers, "Authorization", v, sizeof v) == 0)
            snprintf(q.auth, sizeof q.auth, "%s", v);
        parse_body(&q);
        fake_reply rep;
        memset(&rep, 0, sizeof rep);
        rep.status = 200;
        rep.advertised_len = -1;
        pthread_mutex_lock(&f->mu);
        q.index = f->counter++;
        q.t = mono() - f->t0;
        f->reqs = xrealloc(f->reqs, (size_t)(f->nreqs + 1) * sizeof *f->reqs);
        f->reqs[f->nreqs++] = q;   /* owns headers and body */
        f->h(f->ctx, &q, &rep);
        pthread_mutex_unlock(&f->mu);
        if (rep.delay_s > 0)
            sleep_interruptible(f, rep.delay_s);
        if (rep.status == 0 || f->stop) {
            free(rep.body);
            goto out;
        }
        size_t bl = rep.body ? strlen(rep.body) : 0;
        char head[1024];
        int hn = snprintf(head, sizeof head,
                          "HTTP/1.1 %d Fake\r\nContent-Type: application/json\r\n"
                          "Content-Length: %ld\r\n%s\r\n",
                          rep.status, rep.advertised_len >= 0 ? rep.advertised_len
                                                              : (long)bl,
                          rep.headers);
        int bad = send_all(c->fd, head, (size_t)hn) != 0 ||
                  (bl && send_all(c->fd, rep.body, bl) != 0);
        free(rep.body);
        if (bad || rep.advertised_len >= 0)
            goto out;
    }
out:
    free(buf);
    shutdown(c->fd, SHUT_RDWR);
    return NULL;
}

static void *accept_main(void *arg)
{
    fake_llm *f = arg;
    while (!f->stop) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        int one = 1;   /* no Nagle: head and body go out at once */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        c->fd = fd;
        c->f = f;
        pthread_mutex_lock(&f->mu);
        f->conns = xrealloc(f->conns, (f->nconns + 1) * sizeof *f->conns);
        f->conns[f->nconns++] = c;
        pthread_mutex_unlock(&f->mu);
        pthread_create(&c->th, NULL, conn_main, c);
    }
    return NULL;
}

fake_llm *fake_llm_start(fake_handler h, void *ctx)
{
    fake_llm *f = calloc(1, sizeof *f);
    f->h = h;
    f->ctx = ctx;
    f->t0 = mono();
    pthread_mutex_init(&f->mu, NULL);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(f->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(f->lfd, 64) != 0 ||
        getsockname(f->lfd, (struct sockaddr *)&a, &al) != 0) {
        perror("fake_llm");
        abort();
    }
    f->port = ntohs(a.sin_port);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d/v1", f->port);
    pthread_create(&f->accept_th, NULL, accept_main, f);
    return f;
}

const char *fake_llm_url(const fake_llm *f) { return f->url; }

int fake_llm_count(fake_llm *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->nreqs;
    pthread_mutex_unlock(&f->mu);
    return n;
}

fake_req *fake_llm_request(fake_llm *f, int i)
{
    fake_req *r = NULL;
    pthread_mutex_lock(&f->mu);
    if (i >= 0 && i < f->nreqs) {
        r = malloc(sizeof *r);
        *r = f->reqs[i];
        r->headers = xstrndup(f->reqs[i].headers, strlen(f->reqs[i].headers));
        r->body = xstrndup(f->reqs[i].body, f->reqs[i].body_len);
    }
    pthread_mutex_unlock(&f->mu);
    return r;
}

void fake_req_free(fake_req *r)
{
    if (!r)
        return;
    free(r->headers);
    free(r->body);
    free(r);
}

void fake_llm_reset(fake_llm *f)
{
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < f->nreqs; i++) {
        free(f->reqs[i].headers);
        free(f->reqs[i].body);
    }
    f->nreqs = 0;
    f->counter = 0;
    pthread_mutex_unlock(&f->mu);
}

void fake_llm_stop(fake_llm *f)
{
    f->stop = 1;
    pthread_join(f->accept_th, NULL);
    close(f->lfd);
    for (size_t i = 0; i < f->nconns; i++) {
        shutdown(f->conns[i]->fd, SHUT_RDWR);
        pthread_join(f->conns[i]->th, NULL);
        close(f->conns[i]->fd);
        free(f->conns[i]);
    }
    free(f->conns);
    fake_llm_reset(f);
    free(f->reqs);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

char *fake_completion(const char *const *content, int n, const char *finish)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", "chatcmpl-fake");
    cJSON_AddStringToObject(j, "object", "chat.completion");
    cJSON_AddNumberToObject(j, "created", 0);
    cJSON_AddStringToObject(j, "model", "fake");
    cJSON *ch = cJSON_AddArrayToObject(j, "choices");
    for (int i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "index", i);
        cJSON *m = cJSON_AddObjectToObject(c, "message");
        cJSON_AddStringToObject(m, "role", "assistant");
        cJSON_AddStringToObject(m, "content", content[i]);
        cJSON_AddStringToObject(c, "finish_reason", finish ? finish : "stop");
        cJSON_AddItemToArray(ch, c);
    }
    cJSON *u = cJSON_AddObjectToObject(j, "usage");
    cJSON_AddNumberToObject(u, "prompt_tokens", 100);
    cJSON_AddNumberToObject(u, "completion_tokens", 10 * n);
    cJSON_AddNumberToObject(u, "total_tokens", 100 + 10 * n);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

char *fake_error_body(const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddStringToObject(e, "type", "invalid_request_error");
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

int fake_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    return ntohs(a.sin_port);
}
