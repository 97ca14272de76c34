/* The five RSS-hashable header fields. */
#include "flowmage/fields.h"

#include <stdio.h>
#include <string.h>

const char *const fm_field_names[FM_NFIELDS + 1] = {"src_ip", "dst_ip", "src_port",
                                                   "dst_port", "proto", NULL};
const char *const fm_hashable_names[FM_NFIELDS] = {"src_ip", "dst_ip", "src_port",
                                                   "dst_port", NULL};

const char *fm_field_name(int i)
{
    return i >= 0 && i < FM_NFIELDS ? fm_field_names[i] : "?";
}

fm_fieldset fm_field_bit(const char *name)
{
    for (int i = 0; i < FM_NFIELDS; i++)
        if (strcmp(name, fm_field_names[i]) == 0)
            return 1u << i;
    return 0;
}

void fm_fieldset_format(fm_fieldset s, char *out, unsigned n)
{
    unsigned used = 0;
    if (n)
        out[0] = 0;
    for (int i = 0; i < FM_NFIELDS; i++) {
        if (!(s & (1u << i)))
            continue;
        int w = snprintf(out + used, n > used ? n - used : 0, "%s%s",
                         used ? "," : "", fm_field_names[i]);
        if (w > 0)
            used += (unsigned)w;
    }
}

int fm_fieldset_parse(const char *text, fm_fieldset *out, char *bad, unsigned n)
{
    fm_fieldset s = 0;
    const char *p = text;
    while (*p) {
        while (*p == ',' || *p == '+' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && *e != '+' && *e != ' ' && *e != '\t')
            e++;
        char word[32];
        size_t len = (size_t)(e - p);
        if (len >= sizeof word)
            len = sizeof word - 1;
        memcpy(word, p, len);
        word[len] = 0;
        fm_fieldset b = strcmp(word, "5tuple") == 0 ? FM_F_ALL : fm_field_bit(word);
        if (!b) {
            if (bad && n)
                snprintf(bad, n, "%s", word);
            return -1;
        }
        s |= b;
        p = e;
    }
    *out = s;
    return 0;
}

fm_fieldset fm_fieldset_mirror(fm_fieldset s)
{
    fm_fieldset m = s & FM_F_PROTO;
    if (s & FM_F_SRC_IP) m |= FM_F_DST_IP;
    if (s & FM_F_DST_IP) m |= FM_F_SRC_IP;
    if (s & FM_F_SRC_PORT) m |= FM_F_DST_PORT;
    if (s & FM_F_DST_PORT) m |= FM_F_SRC_PORT;
    return m;
}
