/* Finding .flowmage sections in files: ELF objects, archives, executables
 * and shared objects through libelf, raw .fmg dumps, and directories
 * searched recursively; each section's bytes go to fm_program_load_bytes
 * (reader.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "program.h"

static int load_elf(fm_program *p, Elf *elf, const char *source, long member_offset,
                    fm_error *err)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "not a valid ELF file: %s",
                       elf_errmsg(-1));
    Elf_Scn *scn = NULL;
    int found = 0;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "bad ELF section header: %s",
                           elf_errmsg(-1));
        const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name || strcmp(name, FM_SECTION_NAME) != 0)
            continue;
        if (sh.sh_type == SHT_NOBITS)
            continue;
        if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
            return fm_fail(err, FM_ERR_INPUT, source, 0, 0,
                           "cannot decompress .flowmage: %s", elf_errmsg(-1));
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d && sh.sh_size)
            return fm_fail_at_offset(err, source, member_offset + (long)sh.sh_offset,
                                     "cannot read .flowmage section: %s", elf_errmsg(-1));
        if (d && d->d_size > 0 &&
            fm_program_load_bytes(p, d->d_buf, d->d_size, source,
                                  member_offset + (long)sh.sh_offset, err) != 0)
            return -1;
        found = 1;
    }
    if (!found)
        p->stats.skipped_files++;
    return 0;
}

static int load_elf_file(fm_program *p, const char *path, fm_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open: %s", strerror(errno));
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    int rc = 0;
    if (!elf) {
        rc = fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot read as ELF: %s", elf_errmsg(-1));
    } else if (elf_kind(elf) == ELF_K_AR) {
        Elf *m;
        Elf_Cmd cmd = ELF_C_READ;
        while (rc == 0 && (m = elf_begin(fd, cmd, elf)) != NULL) {
            Elf_Arhdr *ah = elf_getarhdr(m);
            if (ah && ah->ar_name[0] != '/' && elf_kind(m) == ELF_K_ELF) {
                char src[1024];
                snprintf(src, sizeof src, "%s(%s)", path, ah->ar_name);
                rc = load_elf(p, m, src, 0, err);
            }
            cmd = elf_next(m);
            elf_end(m);
        }
    } else if (elf_kind(elf) == ELF_K_ELF) {
        rc = load_elf(p, elf, path, 0, err);
    } else {
        rc = fm_fail(err, FM_ERR_INPUT, path, 0, 0, "not an ELF file or archive");
    }
    if (elf)
        elf_end(elf);
    close(fd);
    return rc;
}

static int load_raw(fm_program *p, const char *path, fm_error *err)
{
    char *data;
    size_t len;
    if (fm_read_file(path, &data, &len, err) != 0)
        return -1;
    int rc = fm_program_load_bytes(p, data, len, path, 0, err);
    free(data);
    return rc;
}

enum { F_OTHER, F_ELF, F_AR, F_RAW };

static int sniff(const char *path)
{
    size_t l = strlen(path);
    if (l > 4 && strcmp(path + l - 4, ".fmg") == 0)
        return F_RAW;
    unsigned char m[8] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return F_OTHER;
    ssize_t n = read(fd, m, sizeof m);
    close(fd);
    if (n >= 4 && memcmp(m, "\177ELF", 4) == 0)
        return F_ELF;
    if (n >= 8 && memcmp(m, "!<arch>\n", 8) == 0)
        return F_AR;
    if (n >= 4 && memcmp(m, FM_SECTION_MAGIC, 4) == 0)
        return F_RAW;
    return F_OTHER;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(fm_program *p, const char *path, int explicit, fm_error *err);

static int load_dir(fm_program *p, const char *path, fm_error *err)
{
    DIR *d = opendir(path);
    if (!d)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open directory: %s",
                       strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        names = fm_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = fm_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str); /* deterministic order */
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            size_t l = strlen(path) + strlen(names[i]) + 2;
            char *full = fm_xmalloc(l);
            snprintf(full, l, "%s/%s", path, names[i]);
            rc = load_path(p, full, 0, err);
            free(full);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int load_path(fm_program *p, const char *path, int explicit, fm_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "%s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return load_dir(p, path, err);
    if (!S_ISREG(st.st_mode))
        return 0;
    switch (sniff(path)) {
    case F_ELF:
    case F_AR:
        p->stats.inputs++;
        return load_elf_file(p, path, err);
    case F_RAW:
        p->stats.inputs++;
        return load_raw(p, path, err);
    default:
        if (explicit)
            return fm_fail(err, FM_ERR_INPUT, path, 0, 0,
                           "not an object file, archive, executable or .fmg dump");
        return 0;
    }
}

int fm_program_load(fm_program *p, const char *path, fm_error *err)
{
    return load_path(p, path, 1, err);
}
