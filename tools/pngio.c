/* pngio.c: 16-bit PNG read and write with text chunks; see pngio.h.
 *
 * The file is read into memory whole and fed to libpng from there, so a
 * short file is a clean "truncated" error raised by our own read callback.
 * Every libpng error lands in the setjmp of the function that started
 * the work; everything allocated since lives in the context struct (not
 * in locals a longjmp could leave stale) and is freed on both paths.
 * CRC errors stop the read even in ancillary chunks: the metadata lives
 * there, and a damaged metadata chunk must not be dropped silently.
 */
#include "pngio.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger files than this are not images this tool wrote or can hold. */
#define MAX_FILE_BYTES (2LL << 30)

int sm_png_sniff(const char *path, char *why, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, len, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        snprintf(why, len, "%s: is a directory", path);
        return -1;
    }
    unsigned char sig[8];
    size_t n = fread(sig, 1, sizeof sig, f);
    fclose(f);
    return n == sizeof sig && png_sig_cmp(sig, 0, sizeof sig) == 0;
}

typedef struct rd_ctx {
    const char *path;
    unsigned char *buf;
    size_t size, pos;
    char msg[200];
    char warning[120];   /* the first libpng warning: often the cause */
    png_structp png;
    png_infop info;
    unsigned char *raw;      /* decoded rows as libpng gives them */
    png_bytep *rows;
    uint16_t *px;
    char **keys, **values;
    int ntext;
} rd_ctx;

static void on_error(png_structp png, png_const_charp msg)
{
    rd_ctx *c = png_get_error_ptr(png);
    if (c->warning[0])
        snprintf(c->msg, sizeof c->msg, "%s (%s)", msg, c->warning);
    else
        snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings alone change nothing (the strict settings make real problems
 * errors), but one often says why the error that follows happened
 * ("Image width is zero in IHDR" before "Invalid IHDR data"). */
static void on_warning(png_structp png, png_const_charp msg)
{
    rd_ctx *c = png_get_error_ptr(png);
    if (!c->warning[0])
        snprintf(c->warning, sizeof c->warning, "%s", msg);
}

static void on_wr_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void on_read(png_structp png, png_bytep out, png_size_t n)
{
    rd_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos)
        png_error(png, "file is truncated (ends inside a chunk)");
    memcpy(out, c->buf + c->pos, n);
    c->pos += n;
}

static void free_text(char **keys, char **values, int n)
{
    for (int i = 0; i < n; i++) {
        if (keys)
            free(keys[i]);
        if (values)
            free(values[i]);
    }
    free(keys);
    free(values);
}

static int load_file(rd_ctx *c, char *why, size_t len)
{
    FILE *f = fopen(c->path, "rb");
    if (!f) {
        snprintf(why, len, "%s: %s", c->path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        snprintf(why, len, "%s: not a regular file", c->path);
        return -1;
    }
    if (st.st_size > MAX_FILE_BYTES) {
        fclose(f);
        snprintf(why, len, "%s: file too large for an image (%lld bytes)",
                 c->path, (long long)st.st_size);
        return -1;
    }
    c->size = (size_t)st.st_size;
    c->buf = malloc(c->size ? c->size : 1);
    if (!c->buf) {
        fclose(f);
        snprintf(why, len, "%s: out of memory", c->path);
        return -1;
    }
    size_t got = fread(c->buf, 1, c->size, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || got != c->size) {
        snprintf(why, len, "%s: read error", c->path);
        return -1;
    }
    return 0;
}

static void rd_cleanup(rd_ctx *c)
{
    if (c->png)
        png_destroy_read_struct(&c->png, c->info ? &c->info : NULL, NULL);
    free(c->buf);
    free(c->raw);
    free(c->rows);
    free(c->px);
    free_text(c->keys, c->values, c->ntext);
}

static const char *type_name(int ct)
{
    switch (ct) {
    case PNG_COLOR_TYPE_GRAY: return "grayscale";
    case PNG_COLOR_TYPE_GRAY_ALPHA: return "grayscale+alpha";
    case PNG_COLOR_TYPE_RGB: return "RGB";
    case PNG_COLOR_TYPE_RGB_ALPHA: return "RGBA";
    case PNG_COLOR_TYPE_PALETTE: return "palette (indexed colour)";
    default: return "unknown type";
    }
}

int sm_png_read(const char *path, sm_png *img, char *why, size_t len)
{
    memset(img, 0, sizeof *img);
    rd_ctx c = {.path = path};
    if (load_file(&c, why, len) != 0) {
        rd_cleanup(&c);
        return -1;
    }
    if (c.size < 8 || png_sig_cmp(c.buf, 0, 8) != 0) {
        snprintf(why, len, "%s: not a PNG file (no PNG signature)", path);
        rd_cleanup(&c);
        return -1;
    }
    c.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, on_error,
                                   on_warning);
    if (c.png)
        c.info = png_create_info_struct(c.png);
    if (!c.png || !c.info) {
        snprintf(why, len, "%s: out of memory", path);
        rd_cleanup(&c);
        return -1;
    }
    if (setjmp(png_jmpbuf(c.png))) {
        snprintf(why, len, "%s: corrupt PNG: %s", path, c.msg);
        rd_cleanup(&c);
        return -1;
    }
    png_set_read_fn(c.png, &c, on_read);
    png_set_crc_action(c.png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_set_user_limits(c.png, 0x7fffffff, 0x7fffffff);
#ifdef PNG_BENIGN_ERRORS_SUPPORTED
    png_set_benign_errors(c.png, 0);
#endif
    png_read_info(c.png, c.info);
    png_uint_32 w, h;
    int depth, ct, il;
    png_get_IHDR(c.png, c.info, &w, &h, &depth, &ct, &il, NULL, NULL);
    if (ct == PNG_COLOR_TYPE_PALETTE) {
        snprintf(why, len, "%s: %s PNG: a 16-bit grayscale or RGB image is "
                           "expected", path, type_name(ct));
        rd_cleanup(&c);
        return -1;
    }
    if (depth != 16) {
        snprintf(why, len, "%s: %d-bit %s PNG: a 16-bit image is expected "
                           "(8 bits cannot hold the scale; convert with "
                           "e.g. 'convert IN -depth 16 OUT.png')",
                 path, depth, type_name(ct));
        rd_cleanup(&c);
        return -1;
    }
    if ((long long)w * (long long)h > SM_PNG_MAX_PIXELS) {
        snprintf(why, len, "%s: image too large (%ux%u, at most %lld pixels)",
                 path, (unsigned)w, (unsigned)h, SM_PNG_MAX_PIXELS);
        rd_cleanup(&c);
        return -1;
    }
    if (il != PNG_INTERLACE_NONE)
        png_set_interlace_handling(c.png);
    png_read_update_info(c.png, c.info);
    const size_t rowbytes = png_get_rowbytes(c.png, c.info);
    const int in_ch = png_get_channels(c.png, c.info);
    c.raw = malloc(rowbytes * h);
    c.rows = malloc(sizeof(png_bytep) * h);
    if (!c.raw || !c.rows) {
        snprintf(why, len, "%s: out of memory (%ux%u)", path, (unsigned)w,
                 (unsigned)h);
        rd_cleanup(&c);
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++)
        c.rows[y] = c.raw + (size_t)y * rowbytes;
    png_read_image(c.png, c.rows);
    /* Reads the chunks after the image data too (text may sit there) and
     * checks the file runs to IEND. */
    png_read_end(c.png, c.info);

    const int out_ch = (in_ch >= 3) ? 3 : 1;
    c.px = malloc(sizeof(uint16_t) * (size_t)w * h * (size_t)out_ch);
    if (!c.px) {
        snprintf(why, len, "%s: out of memory", path);
        rd_cleanup(&c);
        return -1;
    }
    for (png_uint_32 y = 0; y < h; y++) {
        const unsigned char *r = c.rows[y];
        uint16_t *o = c.px + (size_t)y * w * (size_t)out_ch;
        for (png_uint_32 x = 0; x < w; x++)
            for (int k = 0; k < out_ch; k++) {
                const unsigned char *s = r + ((size_t)x * in_ch + k) * 2;
                o[(size_t)x * out_ch + k] = (uint16_t)((s[0] << 8) | s[1]);
            }
    }

    png_textp text = NULL;
    int nt = png_get_text(c.png, c.info, &text, NULL);
    if (nt > 0) {
        c.keys = calloc((size_t)nt, sizeof(char *));
        c.values = calloc((size_t)nt, sizeof(char *));
        if (!c.keys || !c.values) {
            snprintf(why, len, "%s: out of memory", path);
            rd_cleanup(&c);
            return -1;
        }
        c.ntext = nt;
        for (int i = 0; i < nt; i++) {
            c.keys[i] = strdup(text[i].key ? text[i].key : "");
            c.values[i] = strdup(text[i].text ? text[i].text : "");
            if (!c.keys[i] || !c.values[i]) {
                snprintf(why, len, "%s: out of memory", path);
                rd_cleanup(&c);
                return -1;
            }
        }
    }
    img->width = (int)w;
    img->height = (int)h;
    img->channels = out_ch;
    img->had_alpha = (ct & PNG_COLOR_MASK_ALPHA) != 0;
    img->px = c.px;
    img->ntext = c.ntext;
    img->keys = c.keys;
    img->values = c.values;
    c.px = NULL;
    c.keys = c.values = NULL;
    c.ntext = 0;
    rd_cleanup(&c);
    return 0;
}

void sm_png_free(sm_png *img)
{
    if (!img)
        return;
    free(img->px);
    free_text(img->keys, img->values, img->ntext);
    memset(img, 0, sizeof *img);
}

const char *sm_png_text(const sm_png *img, const char *key, int *dups)
{
    const char *v = NULL;
    int n = 0;
    for (int i = 0; i < img->ntext; i++)
        if (strcmp(img->keys[i], key) == 0) {
            if (!v)
                v = img->values[i];
            else
                n++;
        }
    if (dups)
        *dups = n;
    return v;
}

typedef struct wr_ctx {
    char msg[200];
    png_structp png;
    png_infop info;
    FILE *f;
    char *tmp;
    unsigned char *row;
    png_text *text;
} wr_ctx;

static void on_wr_error(png_structp png, png_const_charp msg)
{
    wr_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void wr_cleanup(wr_ctx *c, int keep)
{
    if (c->png)
        png_destroy_write_struct(&c->png, c->info ? &c->info : NULL);
    if (c->f)
        fclose(c->f);
    if (c->tmp) {
        if (!keep)
            unlink(c->tmp);
        free(c->tmp);
    }
    free(c->row);
    free(c->text);
}

int sm_png_write(const char *path, const sm_png *img, char *why, size_t len)
{
    wr_ctx c;
    memset(&c, 0, sizeof c);
    if (img->width < 1 || img->height < 1 ||
        (img->channels != 1 && img->channels != 3) ||
        (long long)img->width * img->height > SM_PNG_MAX_PIXELS) {
        snprintf(why, len, "%s: cannot write a %dx%d image", path,
                 img->width, img->height);
        return -1;
    }
    c.tmp = malloc(strlen(path) + 24);
    if (!c.tmp) {
        snprintf(why, len, "%s: out of memory", path);
        return -1;
    }
    sprintf(c.tmp, "%s.partial.XXXXXX", path);
    int fd = mkstemp(c.tmp);
    if (fd < 0) {
        snprintf(why, len, "%s: cannot write here: %s", path,
                 strerror(errno));
        free(c.tmp);
        return -1;
    }
    c.f = fdopen(fd, "wb");
    if (!c.f) {
        close(fd);
        snprintf(why, len, "%s: %s", path, strerror(errno));
        wr_cleanup(&c, 0);
        return -1;
    }
    const size_t rowbytes = (size_t)img->width * (size_t)img->channels * 2;
    c.row = malloc(rowbytes);
    c.text = calloc((size_t)(img->ntext > 0 ? img->ntext : 1),
                    sizeof(png_text));
    c.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &c, on_wr_error,
                                    on_wr_warning);
    if (c.png)
        c.info = png_create_info_struct(c.png);
    if (!c.row || !c.text || !c.png || !c.info) {
        snprintf(why, len, "%s: out of memory", path);
        wr_cleanup(&c, 0);
        return -1;
    }
    if (setjmp(png_jmpbuf(c.png))) {
        snprintf(why, len, "%s: PNG write failed: %s", path,
                 c.msg[0] ? c.msg : strerror(errno));
        wr_cleanup(&c, 0);
        return -1;
    }
    png_init_io(c.png, c.f);
    png_set_user_limits(c.png, 0x7fffffff, 0x7fffffff);
    png_set_compression_level(c.png, 6);
    png_set_IHDR(c.png, c.info, (png_uint_32)img->width,
                 (png_uint_32)img->height, 16,
                 img->channels == 3 ? PNG_COLOR_TYPE_RGB
                                    : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    for (int i = 0; i < img->ntext; i++) {
        c.text[i].compression = PNG_TEXT_COMPRESSION_NONE;
        c.text[i].key = img->keys[i];
        c.text[i].text = img->values[i];
    }
    if (img->ntext > 0)
        png_set_text(c.png, c.info, c.text, img->ntext);
    png_write_info(c.png, c.info);
    const size_t vals = (size_t)img->width * (size_t)img->channels;
    for (int y = 0; y < img->height; y++) {
        const uint16_t *s = img->px + (size_t)y * vals;
        for (size_t i = 0; i < vals; i++) {
            c.row[2 * i] = (unsigned char)(s[i] >> 8);
            c.row[2 * i + 1] = (unsigned char)(s[i] & 0xff);
        }
        png_write_row(c.png, c.row);
    }
    png_write_end(c.png, NULL);
    png_destroy_write_struct(&c.png, &c.info);
    c.png = NULL;
    c.info = NULL;
    FILE *f = c.f;
    c.f = NULL;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        snprintf(why, len, "%s: write failed: %s", path, strerror(errno));
        fclose(f);
        wr_cleanup(&c, 0);
        return -1;
    }
    if (fclose(f) != 0) {
        snprintf(why, len, "%s: write failed: %s", path, strerror(errno));
        wr_cleanup(&c, 0);
        return -1;
    }
    chmod(c.tmp, 0644);
    if (rename(c.tmp, path) != 0) {
        snprintf(why, len, "%s: %s", path, strerror(errno));
        wr_cleanup(&c, 0);
        return -1;
    }
    wr_cleanup(&c, 1);
    return 0;
}
