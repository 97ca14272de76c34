/* The response cache and the per-endpoint capability memory.
 *
 * DIR/responses/ab/abcd....json  one valid answer (the model's reply text),
 *                                keyed by fm_llm_cache_key()
 * DIR/endpoints/HASH.json        what a (URL, model) accepted: response
 *                                format, n, max_tokens name, temperature
 *
 * Files are private (0600 in 0700 directories: prompts hold the user's
 * code) and written to a temporary name created exclusively (never through
 * a link), then renamed, so a reader never sees half an entry; writers
 * hold a lock on DIR (fm_lock_dir) and remove what killed runs left.  The
 * answers are redacted (fm_llm_redact) before they are stored.  They are not fsync'd: an entry lost in a crash
 * is only a cache miss, and a damaged one fails validation (a miss too).
 * Nothing here ever holds the API key. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "llm_int.h"

int fm_llm_default_cache_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && x[0] == '/') {   /* the XDG spec ignores relative values */
        snprintf(out, n, "%s/flowmage", x);
        return 0;
    }
    const char *h = getenv("HOME");
    if (h && *h) {
        snprintf(out, n, "%s/.cache/flowmage", h);
        return 0;
    }
    return -1;
}

static int mkdir_private(const char *path, fm_error *err)
{
    char *p = fm_xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            fm_fail(err, FM_ERR_ENV, p, 0, 0, "cannot create cache directory: %s",
                    strerror(errno));
            free(p);
            return -1;
        }
        if (!c)
            break;
        *s = c;
    }
    free(p);
    return 0;
}

/* Write data to path atomically with mode 0600, without fsync. */
static int write_private(const char *path, const char *data, size_t len,
                         fm_error *err)
{
    fm_stage st;
    fm_stage_init(&st);
    fm_stage_add(&st, path, data, len, FM_STAGE_PRIVATE);
    int rc = fm_stage_commit(&st, err);
    if (rc != 0 && err)
        err->kind = FM_ERR_ENV; /* the cache's place, not the user's input */
    return rc;
}

static void entry_path(const char *dir, const char *key, char *out, size_t n,
                       int with_file)
{
    if (with_file)
        snprintf(out, n, "%s/responses/%.2s/%s.json", dir, key, key);
    else
        snprintf(out, n, "%s/responses/%.2s", dir, key);
}

int fm_llm_cache_get(const char *dir, const char *key, char **content)
{
    char path[4200];
    entry_path(dir, key, path, sizeof path, 1);
    *content = NULL;
    cJSON *j = fm_json_load(path, NULL);
    if (!j)
        return -1;
    const char *k = fm_json_str(j, "key", "");
    const char *c = fm_json_str(j, "content", NULL);
    int ok = fm_json_num(j, "flowmage_llm_cache", 0) == 1 && strcmp(k, key) == 0 && c;
    if (ok)
        *content = fm_xstrdup(c);
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

int fm_llm_cache_put(const char *dir, const char *key, const char *model,
                     const char *content, fm_error *err)
{
    char path[4200];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flowmage_llm_cache", 1);
    cJSON_AddStringToObject(j, "key", key);
    cJSON_AddStringToObject(j, "model", model);
    char *clean = fm_llm_redact(content, NULL);   /* no secret is ever stored */
    cJSON_AddStringToObject(j, "content", clean);
    free(clean);
    char *s = fm_json_print(j);
    cJSON_Delete(j);
    /* one writer at a time: concurrent runs share the cache */
    fm_lock lk;
    int rc = fm_lock_dir(dir, &lk, err);
    if (rc == 0) {
        entry_path(dir, key, path, sizeof path, 0);
        rc = mkdir_private(path, err);
        entry_path(dir, key, path, sizeof path, 1);
        if (rc == 0)
            rc = write_private(path, s, strlen(s), err);
        fm_unlock_dir(&lk);
    }
    free(s);
    return rc;
}

/* ---- capabilities ---- */

static const char *const formats[] = {"json_schema", "json_object", "none"};

static void caps_path(const char *dir, const char *url, const char *model,
                      char *out, size_t n)
{
    char u[1024], hex[65];
    fm_llm_url_redact(url, u, sizeof u);
    fm_sha256 s;
    fm_sha256_init(&s);
    fm_sha256_update(&s, u, strlen(u) + 1);
    fm_sha256_update(&s, model, strlen(model));
    fm_sha256_hex_final(&s, hex);
    snprintf(out, n, "%s/endpoints/%.32s.json", dir, hex);
}

void fm_llm_caps_load(const char *dir, const char *url, const char *model,
                      fm_llm_caps *caps)
{
    fm_llm_caps_init(caps);
    if (!dir)
        return;
    char path[4200];
    caps_path(dir, url, model, path, sizeof path);
    cJSON *j = fm_json_load(path, NULL);
    if (!j)
        return;
    const char *f = fm_json_str(j, "response_format", "json_schema");
    for (int i = 0; i < 3; i++)
        if (strcmp(f, formats[i]) == 0)
            caps->format = i;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(j, "n");
    caps->n_ok = cJSON_IsBool(n) ? cJSON_IsTrue(n) : -1;
    caps->max_completion_tokens =
        strcmp(fm_json_str(j, "max_tokens_param", ""), "max_completion_tokens") == 0;
    caps->no_temperature = !fm_json_bool(j, "temperature", 1);
    cJSON_Delete(j);
}

int fm_llm_caps_save(const char *dir, const char *url, const char *model,
                     const fm_llm_caps *caps, fm_error *err)
{
    char path[4200], u[1024];
    fm_lock lk;
    if (fm_lock_dir(dir, &lk, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/endpoints", dir);
    if (mkdir_private(path, err) != 0) {
        fm_unlock_dir(&lk);
        return -1;
    }
    caps_path(dir, url, model, path, sizeof path);
    fm_llm_url_redact(url, u, sizeof u);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "base_url", u);
    cJSON_AddStringToObject(j, "model", model);
    cJSON_AddStringToObject(j, "response_format", formats[caps->format]);
    if (caps->n_ok >= 0)
        cJSON_AddBoolToObject(j, "n", caps->n_ok);
    else
        cJSON_AddNullToObject(j, "n");
    cJSON_AddStringToObject(j, "max_tokens_param", caps->max_completion_tokens
                                                       ? "max_completion_tokens"
                                                       : "max_tokens");
    cJSON_AddBoolToObject(j, "temperature", !caps->no_temperature);
    char *s = fm_json_print(j);
    cJSON_Delete(j);
    int rc = write_private(path, s, strlen(s), err);
    fm_unlock_dir(&lk);
    free(s);
    return rc;
}
