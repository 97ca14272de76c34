/* Finding .flowmage sections in files: ELF objects, archives, executables
 * and shared objects through libelf, raw .fmg dumps, and directories
 * searched recursively; each section goes to the reader (reader.c), unit
 * by unit from the file. */
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

/* A truncated file must not read as an object without facts: libelf
 * quietly shows no sections when the section header table is cut off.
 * size: the bytes this ELF has (the file, or the archive member). */
static int check_header_extent(Elf *elf, const char *source, uint64_t size, fm_error *err)
{
    GElf_Ehdr eh;
    if (!gelf_getehdr(elf, &eh))
        return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "truncated or corrupt ELF header: %s",
                       elf_errmsg(-1));
    uint64_t need = eh.e_ident[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (size < need)
        return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "truncated ELF file: %llu bytes, less "
                       "than its header", (unsigned long long)size);
    if (eh.e_shoff == 0)
        return 0; /* no section header table: nothing to read, nothing cut off */
    uint64_t n = eh.e_shnum ? eh.e_shnum : 1; /* 0: the count is in entry 0 */
    if (eh.e_shoff > size || n * eh.e_shentsize > size - eh.e_shoff)
        return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "truncated ELF file: its section "
                       "header table (offset %llu, %llu bytes) ends past the end of the file "
                       "(%llu bytes)", (unsigned long long)eh.e_shoff,
                       (unsigned long long)(n * eh.e_shentsize), (unsigned long long)size);
    return 0;
}

/* base: where the ELF starts in the file fd (an archive member's data). */
static int load_elf(fm_program *p, Elf *elf, int fd, uint64_t base, const char *source,
                    long member_offset, uint64_t size, fm_error *err)
{
    size_t shstrndx;
    if (check_header_extent(elf, source, size, err) != 0)
        return -1;
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
        if (sh.sh_type != SHT_NOBITS && (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
            return fm_fail(err, FM_ERR_INPUT, source, 0, 0, "truncated ELF file: section %s "
                           "(offset %llu, %llu bytes) ends past the end of the file (%llu "
                           "bytes)", name ? name : "?", (unsigned long long)sh.sh_offset,
                           (unsigned long long)sh.sh_size, (unsigned long long)size);
        if (!name || strcmp(name, FM_SECTION_NAME) != 0)
            continue;
        if (sh.sh_type == SHT_NOBITS)
            continue;
        found = 1;
        if (!(sh.sh_flags & SHF_COMPRESSED)) {
            /* unit by unit from the file: a build holds each unit in
             * several files, and its copies are skipped at their header */
            if (fm_program_load_fd(p, fd, base + sh.sh_offset, sh.sh_size, source,
                                   member_offset + (long)sh.sh_offset, err) != 0)
                return -1;
            continue;
        }
        if (elf_compress(scn, 0, 0) < 0)
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

/* The size an archive member's header declares (libelf clamps what it
 * reports to the bytes present); -1 if unreadable. */
static int64_t declared_size(int fd, int64_t base)
{
    char h[61];
    if (base < 60 || pread(fd, h, 60, (off_t)(base - 60)) != 60 || h[58] != '`' || h[59] != '\n')
        return -1;
    h[58] = 0;
    char *end;
    long long v = strtoll(h + 48, &end, 10);
    return end == h + 48 || v < 0 ? -1 : (int64_t)v;
}

static int load_archive(fm_program *p, int fd, Elf *elf, const char *path, uint64_t size,
                        fm_error *err)
{
    Elf *m;
    Elf_Cmd cmd = ELF_C_READ;
    int rc = 0;
    uint64_t end = 8; /* "!<arch>\n", then members: a 60-byte header, data, pad to even */
    while (rc == 0 && (m = elf_begin(fd, cmd, elf)) != NULL) {
        Elf_Arhdr *ah = elf_getarhdr(m);
        char src[1024];
        snprintf(src, sizeof src, "%s(%s)", path, ah ? ah->ar_name : "?");
        int64_t base = (int64_t)elf_getbase(m), n = declared_size(fd, base);
        if (!ah || n < 0 || (uint64_t)base > size || (uint64_t)n > size - (uint64_t)base)
            rc = fm_fail(err, FM_ERR_INPUT, src, 0, 0, "truncated archive: the member ends "
                         "past the end of the archive (%llu bytes)", (unsigned long long)size);
        else if (ah->ar_name[0] != '/' && elf_kind(m) == ELF_K_ELF)
            rc = load_elf(p, m, fd, (uint64_t)base, src, 0, (uint64_t)n, err);
        if (rc == 0)
            end = (uint64_t)base + (uint64_t)n;
        cmd = elf_next(m);
        elf_end(m);
    }
    /* libelf stops quietly at a member it cannot read: a cut-off archive
     * would look like a shorter one */
    if (rc == 0 && end + (end & 1) < size)
        rc = fm_fail(err, FM_ERR_INPUT, path, 0, 0, "truncated or corrupt archive: its members "
                     "end at byte %llu of %llu", (unsigned long long)end,
                     (unsigned long long)size);
    return rc;
}

static int load_elf_file(fm_program *p, const char *path, fm_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot read: %s", strerror(e));
    }
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    int rc = 0;
    if (!elf) {
        rc = fm_fail(err, FM_ERR_INPUT, path, 0, 0, "cannot read as ELF: %s", elf_errmsg(-1));
    } else if (elf_kind(elf) == ELF_K_AR) {
        rc = load_archive(p, fd, elf, path, (uint64_t)st.st_size, err);
    } else if (elf_kind(elf) == ELF_K_ELF) {
        rc = load_elf(p, elf, fd, 0, path, 0, (uint64_t)st.st_size, err);
    } else {
        /* the magic said ELF or archive (sniff): what follows is cut off */
        rc = fm_fail(err, FM_ERR_INPUT, path, 0, 0, "truncated or corrupt ELF file or archive "
                     "(%llu bytes)", (unsigned long long)st.st_size);
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
