/* pngio.h: specmorph-image's PNG input and output: 16-bit grayscale or
 * RGB pixels plus text chunks, and nothing else.
 *
 * libpng reports errors by longjmp; this module catches every one of
 * them (bad signature, CRC, truncated data, zero size, absurd IHDR) and
 * turns it into a one-line reason, so a hostile or damaged file gives a
 * clear error, never a crash. Writing goes to a temporary file beside the
 * target that is renamed into place once complete, and adds no time
 * stamp: the same pixels and text give the same bytes.
 * All functions are NRT only (they allocate and do file I/O).
 */
#ifndef SM_PNGIO_H
#define SM_PNGIO_H

#include <stddef.h>
#include <stdint.h>

/* Largest image (width x height) read or written: guards the allocations
 * against an IHDR that declares an absurd size. */
#define SM_PNG_MAX_PIXELS 100000000LL

typedef struct sm_png {
    int width, height;   /* pixels, >= 1 */
    int channels;        /* 1 gray, 3 RGB (an alpha channel is dropped) */
    int had_alpha;       /* the file had one */
    uint16_t *px;        /* height rows from the top, width * channels each */
    int ntext;
    char **keys, **values; /* text chunks (tEXt, zTXt, iTXt), file order */
} sm_png;

/* 1 when the file at path starts with the PNG signature, 0 when it does
 * not (or is shorter), -1 when it cannot be read (reason in why). */
int sm_png_sniff(const char *path, char *why, size_t why_len);

/* Reads a 16-bit PNG. Returns 0, or -1 with a one-line reason naming the
 * problem (8-bit or palette image, corrupt chunk, truncated file, ...).
 * On failure img holds nothing to free. */
int sm_png_read(const char *path, sm_png *img, char *why, size_t why_len);
void sm_png_free(sm_png *img);

/* Value of text key, NULL when absent; *dups counts further chunks with
 * the same key (NULL: not wanted). */
const char *sm_png_text(const sm_png *img, const char *key, int *dups);

/* Writes img (channels 1 or 3, 16-bit) with its text chunks as tEXt
 * (keys of 1..79 printable Latin-1 characters, values without NUL),
 * through a temporary file renamed onto path. Returns 0, or -1 with a
 * reason (nothing is left at path on failure). */
int sm_png_write(const char *path, const sm_png *img, char *why,
                 size_t why_len);

#endif
