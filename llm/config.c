/* Client configuration: defaults, endpoint identity, the API key's rules. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm_int.h"

void fm_llm_config_init(fm_llm_config *c)
{
    memset(c, 0, sizeof *c);
    c->model = FM_LLM_DEFAULT_MODEL;
    c->temperature = 0.5;
    c->samples = 5;
    c->parallel = 4;
    c->timeout_s = 300;
    c->connect_timeout_s = 10;
    c->retries = 3;
    c->backoff_base_s = 1;
    c->backoff_max_s = 30;
    c->retry_after_max_s = 300;
    c->delay_scale = 1;
    c->max_response_bytes = FM_LLM_DEFAULT_MAX_RESPONSE;
    c->max_tokens = 1024;
}

void fm_analyze_opts_init(fm_analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    fm_llm_config_init(&o->llm);
    o->compare_costs = 1;
    o->tie_fraction = 0.10;
    o->source_budget = FM_LLM_DEFAULT_SOURCE_BUDGET;
}

void fm_llm_url_redact(const char *url, char *out, size_t n)
{
    if (!url) {
        snprintf(out, n, "%s", "");
        return;
    }
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    size_t hostlen = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', hostlen);
    if (!at) {
        snprintf(out, n, "%s", url);
        return;
    }
    snprintf(out, n, "%.*s%s", (int)(auth - url), url, at + 1);
}

int fm_llm_url_is_default(const char *url)
{
    if (!url)
        return 0;
    size_t l = strlen(url), d = strlen(FM_LLM_DEFAULT_BASE_URL);
    while (l > 0 && url[l - 1] == '/')
        l--;
    return l == d && strncasecmp(url, FM_LLM_DEFAULT_BASE_URL, d) == 0;
}

int fm_llm_key_allowed(const fm_llm_config *c)
{
    return c->api_key && *c->api_key &&
           (fm_llm_url_is_default(c->base_url) || c->allow_key_to_custom_endpoint);
}

char *fm_llm_key_file_read(const char *path, fm_error *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open the API key "
                       "file: %s", strerror(errno)), NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                       "the API key file is not a regular file"), NULL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                       "permissions %04o are too open: the API key file must "
                       "not be accessible by group or others (chmod 600 %s)",
                       (unsigned)(st.st_mode & 07777), path), NULL;
    }
    if (st.st_size > 16384) {
        close(fd);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                       "the API key file is larger than 16 KiB"), NULL;
    }
    char *buf = fm_xcalloc((size_t)st.st_size + 1, 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    char *s = buf, *e = buf + got;
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    int bad = 0;
    for (char *p = s; p < e; p++)
        bad |= (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e;
    if (s == e || bad) {
        fm_llm_key_free(buf);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, s == e
                       ? "the API key file is empty"
                       : "the API key file holds more than one printable token "
                         "(one key, nothing else)"), NULL;
    }
    char *key = fm_xstrndup(s, (size_t)(e - s));
    fm_llm_key_free(buf);
    return key;
}

void fm_llm_key_free(char *key)
{
    if (!key)
        return;
    volatile char *p = key;
    while (*p)
        *p++ = 0;
    free(key);
}

char *fm_llm_sanitize(const char *text, size_t len, const char *secret,
                      size_t max)
{
    fm_buf b;
    fm_buf_init(&b);
    size_t sl = secret ? strlen(secret) : 0;
    for (size_t i = 0; i < len && b.len < max;) {
        if (sl >= 4 && i + sl <= len && memcmp(text + i, secret, sl) == 0) {
            fm_buf_puts(&b, "[redacted]");
            i += sl;
            continue;
        }
        char c = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? ' ' : text[i];
        fm_buf_append(&b, &c, 1);
        i++;
    }
    while (b.len && b.data[b.len - 1] == ' ')
        b.len--;
    return (char *)fm_buf_cstr(&b);
}

/* ---- redaction of stored texts ---- */

static int tok_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static size_t run_of(const char *s, size_t i, size_t n, const char *extra)
{
    size_t k = i;
    while (k < n && (tok_char((unsigned char)s[k]) || (s[k] && strchr(extra, s[k]))))
        k++;
    return k - i;
}

/* Length of a secret-shaped token starting at s[i] (0: none): a known API
 * key prefix followed by at least 16 token characters, or a JSON web
 * token.  Only at the start of a word. */
static size_t secret_at(const char *s, size_t i, size_t n)
{
    static const char *const prefixes[] = {
        "sk-", "sk_", "rk_", "pk_live_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
        "xoxb-", "xoxp-", "xoxa-", "xoxs-", "glpat-", "hf_", "AKIA", "AIza", NULL};
    if (i > 0 && tok_char((unsigned char)s[i - 1]))
        return 0;
    for (size_t p = 0; prefixes[p]; p++) {
        size_t pl = strlen(prefixes[p]);
        if (i + pl <= n && !memcmp(s + i, prefixes[p], pl)) {
            size_t r = run_of(s, i + pl, n, "");
            if (r >= 16)
                return pl + r;
        }
    }
    if (i + 3 <= n && !memcmp(s + i, "eyJ", 3)) { /* header.payload.signature */
        size_t k = i, parts = 0;
        for (; parts < 3; parts++) {
            size_t r = run_of(s, k, n, "");
            if (r < 8)
                break;
            k += r;
            if (parts < 2 && (k >= n || s[k] != '.'))
                break;
            if (parts < 2)
                k++;
        }
        if (parts == 3)
            return k - i;
    }
    return 0;
}

/* After "Bearer " (any case, any blanks): the credential's length. */
static size_t bearer_at(const char *s, size_t i, size_t n, size_t *skip)
{
    if (i + 6 > n || strncasecmp(s + i, "bearer", 6) || (i > 0 && tok_char((unsigned char)s[i - 1])))
        return 0;
    size_t k = i + 6;
    while (k < n && (s[k] == ' ' || s[k] == '\t'))
        k++;
    if (k == i + 6)
        return 0;
    size_t r = run_of(s, k, n, ".~+/=");
    *skip = k - i;
    return r >= 8 ? r : 0;
}

char *fm_llm_redact(const char *text, const char *secret)
{
    size_t n = strlen(text), sl = secret ? strlen(secret) : 0;
    /* the key as it reads inside a JSON string, too */
    fm_buf esc;
    fm_buf_init(&esc);
    for (size_t i = 0; i < sl; i++) {
        if (secret[i] == '"' || secret[i] == '\\')
            fm_buf_append(&esc, "\\", 1);
        fm_buf_append(&esc, secret + i, 1);
    }
    fm_buf b;
    fm_buf_init(&b);
    for (size_t i = 0; i < n;) {
        size_t skip = 0, m;
        if (sl >= 4 && i + sl <= n && !memcmp(text + i, secret, sl))
            m = sl;
        else if (esc.len > sl && i + esc.len <= n && !memcmp(text + i, esc.data, esc.len))
            m = esc.len;
        else if ((m = bearer_at(text, i, n, &skip)) == 0)
            m = secret_at(text, i, n);
        if (m) {
            fm_buf_append(&b, text + i, skip);
            fm_buf_puts(&b, "[redacted]");
            i += skip + m;
            continue;
        }
        fm_buf_append(&b, text + i, 1);
        i++;
    }
    fm_buf_free(&esc);
    return (char *)fm_buf_cstr(&b);
}

void fm_analyze_stats_format(const fm_analyze_stats *s, char *out, size_t n)
{
    snprintf(out, n,
             "%ld requests, %ld cache hits, %ld retries, %ld fallbacks, "
             "%ld answers, %ld failed, %ld rejected, tokens %ld prompt + %ld "
             "completion",
             s->requests, s->cache_hits, s->retries, s->fallbacks, s->answers,
             s->failed, s->rejected, s->prompt_tokens, s->completion_tokens);
}
