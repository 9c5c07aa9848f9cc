/* image.c: specmorph-image, audio <-> spectrogram image, one
 * interpretation in both directions.
 *
 *   specmorph-image in.wav [-o out.png]   STFT -> 16-bit PNG
 *   specmorph-image in.png [-o out.wav]   16-bit PNG -> audio
 *
 * The direction comes from the input's content (the PNG signature), not
 * its name. Everything the way back needs (rate, window, hop, scale, axis,
 * length, ...) travels in "specmorph:" text chunks of the PNG, so an
 * image is self-describing; an image without them (painted, or
 * converted by an editor) is read with documented defaults.
 *
 * The pixel <-> spectrogram mapping lives here in one place (layout,
 * level_of/mag_of, rgb_of/rgb_phase, row_bin/bin_row and axismap) and
 * both directions use it, which is what makes the colour round trip exact
 * up to the quantisation the README derives. The STFT, the phase methods and the
 * spectral convergence are the library's offline API (phase/offline.h).
 *
 * Exit codes: 0 done, 2 bad usage or input (one clear line), 1 failure
 * while computing or writing; nothing half-written is left at the output
 * path (temporary file + rename).
 */
#include "audiofile.h"
#include "phase/offline.h"
#include "pngio.h"
#include "specmorph.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PROG "specmorph-image"
#define LEVELS 65535            /* 16-bit full scale */
#define META_FORMAT 1           /* specmorph:format written and understood */
#define MAX_WINDOW 65536
#define MAX_ROWS 65535
#define MAX_BINS_TOTAL 100000000LL /* frames x bins processed at once */
#define MIN_RATE 100.0
#define MAX_RATE 1000000.0

/* Defaults (README "specmorph-image"). */
#define DEF_WINDOW 2048
#define DEF_HOP 512
#define DEF_DB_RANGE 96.0
#define DEF_POWER 0.3
#define DEF_KNEE_HZ 100.0
#define DEF_RATE 48000.0
#define DEF_GLA_ITERATIONS 100

enum { SCALE_LOG, SCALE_POWER };
#define ROWS_DENSE (-1) /* --rows dense */
enum { AXIS_LINEAR, AXIS_LOG };

/* Options given on the command line (bit per option, to tell "given"
 * from "default" and to warn about ones that do not apply). */
enum {
    G_WINDOW = 1 << 0, G_HOP = 1 << 1, G_SCALE = 1 << 2, G_DBRANGE = 1 << 3,
    G_POWER = 1 << 4, G_AXIS = 1 << 5, G_ROWS = 1 << 6, G_KNEE = 1 << 7,
    G_MAGONLY = 1 << 8, G_PHASE = 1 << 9, G_ITER = 1 << 10,
    G_LOOKAHEAD = 1 << 11, G_RATE = 1 << 12, G_FORMAT = 1 << 13
};

typedef struct opts {
    const char *in, *out, *format;
    int force, quiet, report;
    int window, hop, scale, axis, rows, magnitude_only;
    double db_range, power, knee_hz, rate_hz;
    int phase, iterations, lookahead;
    unsigned given;
} opts;

/* The interpretation of an image: exactly what the metadata stores. */
typedef struct layout {
    double rate_hz;
    int window, hop, bins;
    long long length;   /* samples of the signal */
    int frames;         /* STFT frames of the signal (offline.h framing) */
    int width, rows;    /* image columns (frames shown) and rows */
    int first;          /* frame of column 0 (painted images: > 0) */
    int scale;
    double db_range, top_db, power;
    int axis;
    double knee_hz;
    int colour;         /* hue carries the phase */
    int src_channels;
} layout;

/* ---- messages ----------------------------------------------------------- */

static int quiet_flag;

static int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

static void warn(const char *fmt, ...)
{
    if (quiet_flag)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": warning: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " IN.wav [-o OUT.png] [options]   audio -> spectrogram image\n"
"       " PROG " IN.png [-o OUT.wav] [options]   spectrogram image -> audio\n"
"\n"
"The direction follows the input's content (PNG signature or not). The\n"
"output defaults to the input's name and folder with the other extension;\n"
"an existing file is never overwritten without --force.\n"
"\n"
"Image: 16-bit PNG, one column per STFT frame (left = start), one row per\n"
"frequency (bottom = 0 Hz, top = Nyquist). Brightness = magnitude on the\n"
"chosen scale, 0 dB = window/2 (the largest magnitude a signal within\n"
"[-1, 1] gives); hue = phase (time origin at the frame centre) unless\n"
"--magnitude-only. Every parameter needed for the way back is stored in\n"
"'specmorph:' text chunks.\n"
"\n"
"Audio -> image:\n"
"      --window N        STFT window, even, 4..%d (default %d)\n"
"      --hop N           hop, 1..window/2 (default %d)\n"
"      --scale S         log | power (default log)\n"
"      --db-range DB     log scale: black = DB below 0 dB (default %g)\n"
"      --power P         power scale: brightness = (mag/top)^P, 0 < P <= 1\n"
"                        (default %g)\n"
"      --freq-scale A    linear | log (default linear; log: rows at\n"
"                        log(1 + f/knee), resampled)\n"
"      --rows N|dense    log axis: image height, 2..%d (default: bins);\n"
"                        dense: rows at most half a bin apart everywhere\n"
"                        (exactly invertible, tall)\n"
"      --knee HZ         log axis: knee frequency (default %g Hz)\n"
"      --magnitude-only  16-bit grayscale, no phase\n"
"Image -> audio:\n"
"      --phase METHOD    phase from the magnitude: mix lws pghi rtisila\n"
"                        bregman hpss gla fgla (default: the stored phase of\n"
"                        a colour image, else fgla); given, it also\n"
"                        replaces a colour image's stored phase\n"
"      --iterations N    gla/fgla: 1..10000 (default %d); rtisila,\n"
"                        bregman: 1..%d (default %d)\n"
"      --lookahead N     streaming methods: 0..%d frames (default %d)\n"
"      --format SUB      float | pcm16 | pcm24 (default float for .wav;\n"
"                        .flac .ogg .aiff .caf by extension)\n"
"      --rate HZ         image without metadata: rate (default %g)\n"
"  An image without metadata is read with the defaults above, window\n"
"  2*(rows-1) and hop window/4 (the options above override them).\n"
"Both:\n"
"  -o, --output FILE     output path\n"
"  -f, --force           overwrite an existing output\n"
"      --report          print measurements (spectral SNR of the image,\n"
"                        spectral convergence of the audio) on stdout\n"
"  -q, --quiet           no warnings\n"
"  -h, --help            this help\n"
"      --version         version\n",
        MAX_WINDOW, DEF_WINDOW, DEF_HOP, DEF_DB_RANGE, DEF_POWER, MAX_ROWS,
        DEF_KNEE_HZ, DEF_GLA_ITERATIONS, SM_PHASE_MAX_ITERATIONS,
        (int)sm_param_get_info(SM_P_PHASE_ITERATIONS)->def,
        SM_PHASE_MAX_LOOKAHEAD,
        (int)sm_param_get_info(SM_P_PHASE_LOOKAHEAD)->def, DEF_RATE);
}

/* ---- numbers ---------------------------------------------------------- */

static int parse_ll(const char *s, long long *v)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end || end == s || s[0] == ' ')
        return -1;
    *v = x;
    return 0;
}

static int parse_num(const char *s, double *v)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || end == s || s[0] == ' ' || !isfinite(x))
        return -1;
    *v = x;
    return 0;
}

/* ---- the mapping -------------------------------------------------------- */

/* Magnitude at the top of the scale (brightness 65535): window/2 is the
 * largest STFT magnitude of a signal within [-1, 1] (DC or Nyquist at
 * full scale; a full-scale sine at a bin centre reads -6.02 dB), so an
 * absolute reference makes images of different files and windows
 * comparable. top_db moves it (always 0 in images this version writes). */
static double top_mag(const layout *l)
{
    return 0.5 * l->window * pow(10.0, l->top_db / 20.0);
}

/* Brightness 0..65535 of magnitude m; *clip counts magnitudes above the
 * top of the scale. */
static unsigned level_of(const layout *l, double m, long long *clip)
{
    double a = m / top_mag(l);
    if (!(a > 0.0))
        return 0;
    if (a > 1.0 + 1e-6)
        (*clip)++;
    double u = l->scale == SCALE_LOG ? 1.0 + 20.0 * log10(a) / l->db_range
                                     : pow(a, l->power);
    if (u >= 1.0)
        return LEVELS;
    if (!(u > 0.0))
        return 0;
    return (unsigned)lround(u * LEVELS);
}

/* Magnitude of brightness v (0: silence). */
static double mag_of(const layout *l, unsigned v)
{
    if (v == 0)
        return 0.0;
    double u = v / (double)LEVELS;
    double a = l->scale == SCALE_LOG ? pow(10.0, (u - 1.0) * l->db_range / 20.0)
                                     : pow(u, 1.0 / l->power);
    return a * top_mag(l);
}

/* HSV colour of brightness v and phase phi: value v, saturation 1, hue
 * phi / 2pi. The hue is quantised to one of 6v steps, H = round(6v h), and
 * sextant s = H / v, f = H % v give channels that are each exact
 * integers; every (v, H) gives a different colour, and rgb_phase recovers
 * H / (6v) exactly, so the phase error is at most pi / (6v). */
static void rgb_of(unsigned v, double phi, uint16_t *rgb)
{
    rgb[0] = rgb[1] = rgb[2] = 0;
    if (v == 0)
        return;
    double h = phi / (2.0 * M_PI);
    h -= floor(h);
    const unsigned long n = 6ul * v;
    unsigned long H = (unsigned long)llround(h * (double)n);
    if (H >= n)
        H -= n;
    const unsigned s = (unsigned)(H / v), f = (unsigned)(H % v);
    unsigned r = 0, g = 0, b = 0;
    switch (s) {
    case 0: r = v; g = f; b = 0; break;
    case 1: r = v - f; g = v; b = 0; break;
    case 2: r = 0; g = v; b = f; break;
    case 3: r = 0; g = v - f; b = v; break;
    case 4: r = f; g = 0; b = v; break;
    default: r = v; g = 0; b = v - f; break;
    }
    rgb[0] = (uint16_t)r;
    rgb[1] = (uint16_t)g;
    rgb[2] = (uint16_t)b;
}

/* Brightness (the largest channel) and phase (the HSV hue) of any RGB
 * pixel; a gray pixel (no hue) has phase 0. */
static unsigned rgb_phase(const uint16_t *rgb, double *phi)
{
    unsigned r = rgb[0], g = rgb[1], b = rgb[2];
    unsigned v = r > g ? r : g;
    if (b > v)
        v = b;
    unsigned mn = r < g ? r : g;
    if (b < mn)
        mn = b;
    *phi = 0.0;
    if (v == 0 || v == mn)
        return v;
    double c = (double)(v - mn), h;
    if (r == v)
        h = ((double)g - (double)b) / c;
    else if (g == v)
        h = 2.0 + ((double)b - (double)r) / c;
    else
        h = 4.0 + ((double)r - (double)g) / c;
    if (h < 0.0)
        h += 6.0;
    *phi = h * (2.0 * M_PI / 6.0);
    return v;
}

/* Whether rows are bins one to one (no resampling). */
static int axis_identity(const layout *l)
{
    return l->axis == AXIS_LINEAR && l->rows == l->bins;
}

/* Bin position (0..bins-1, fractional) of row r counted from the bottom.
 * Log axis: row r sits at f = knee * ((1 + fn/knee)^(r/(rows-1)) - 1),
 * fn = rate/2, so row 0 is 0 Hz and the top row Nyquist. */
static double row_bin(const layout *l, int r)
{
    if (l->rows <= 1)
        return 0.0;
    double p;
    if (l->axis == AXIS_LINEAR) {
        p = (double)r * (l->bins - 1) / (l->rows - 1);
    } else {
        double L = log1p(0.5 * l->rate_hz / l->knee_hz);
        double f = l->knee_hz * expm1(L * r / (l->rows - 1));
        p = f * l->window / l->rate_hz;
    }
    if (p < 0.0)
        p = 0.0;
    if (p > l->bins - 1)
        p = l->bins - 1;
    return p;
}

/* Row position (0..rows-1, fractional, from the bottom) of bin k: the
 * inverse of row_bin. */
static double bin_row(const layout *l, int k)
{
    if (l->rows <= 1)
        return 0.0;
    double q;
    if (l->axis == AXIS_LINEAR) {
        q = (double)k * (l->rows - 1) / (l->bins - 1);
    } else {
        double L = log1p(0.5 * l->rate_hz / l->knee_hz);
        double f = (double)k * l->rate_hz / l->window;
        q = (l->rows - 1) * log1p(f / l->knee_hz) / L;
    }
    if (q < 0.0)
        q = 0.0;
    if (q > l->rows - 1)
        q = l->rows - 1;
    return q;
}

/* The frequency axis as a linear map between bins and rows. Rows are
 * point samples of the piecewise-linear interpolant through the bins:
 * row j = (1 - t_j) b[k_j] + t_j b[k_j + 1], with k_j + t_j = row_bin(j);
 * that is M b. The way back is the least-squares inverse,
 *   b = argmin |M b - r|^2 + mu |b - b0|^2,
 * b0 = the rows interpolated linearly at the bins' positions: where the
 * rows are denser than the bins M has full column rank and this recovers
 * the bins exactly (quantisation aside, which the many rows average
 * down); where they are sparser the rows are matched exactly and the
 * bins in between follow b0. M^T M is tridiagonal (a row touches two
 * neighbouring bins), so one LDL^T factorisation made once serves every
 * frame. */
#define AXIS_MU 1e-6

typedef struct axismap {
    int rows, bins;
    int *rk;            /* row j: bins rk[j], rk[j] + 1 with weight rt[j] */
    double *rt;
    int *bk;            /* bin k: rows bk[k], bk[k] + 1 with weight bt[k] */
    double *bt;
    double *d, *l;      /* LDL^T of M^T M + mu I */
    double *y;          /* work, bins */
} axismap;

static void axismap_free(axismap *a)
{
    if (!a)
        return;
    free(a->rk);
    free(a->rt);
    free(a->bk);
    free(a->bt);
    free(a->d);
    free(a->l);
    free(a->y);
    free(a);
}

static void split_pos(double p, int n, int *k, double *t)
{
    int i = (int)floor(p);
    if (i < 0)
        i = 0;
    if (i >= n - 1) {
        *k = n - 1;
        *t = 0.0;
        return;
    }
    *k = i;
    *t = p - i;
}

static axismap *axismap_new(const layout *l)
{
    axismap *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    const int R = l->rows, K = l->bins;
    a->rows = R;
    a->bins = K;
    a->rk = malloc(sizeof(int) * (size_t)R);
    a->rt = malloc(sizeof(double) * (size_t)R);
    a->bk = malloc(sizeof(int) * (size_t)K);
    a->bt = malloc(sizeof(double) * (size_t)K);
    a->d = calloc((size_t)K, sizeof(double));
    a->l = calloc((size_t)K, sizeof(double));
    a->y = malloc(sizeof(double) * (size_t)K);
    if (!a->rk || !a->rt || !a->bk || !a->bt || !a->d || !a->l || !a->y) {
        axismap_free(a);
        return NULL;
    }
    for (int j = 0; j < R; j++)
        split_pos(row_bin(l, j), K, &a->rk[j], &a->rt[j]);
    for (int k = 0; k < K; k++)
        split_pos(bin_row(l, k), R, &a->bk[k], &a->bt[k]);
    /* M^T M + mu I: diagonal in d, super-diagonal in l (then factorised
     * in place). */
    for (int k = 0; k < K; k++)
        a->d[k] = AXIS_MU;
    for (int j = 0; j < R; j++) {
        int k = a->rk[j];
        double t = a->rt[j];
        a->d[k] += (1.0 - t) * (1.0 - t);
        if (k + 1 < K) {
            a->d[k + 1] += t * t;
            a->l[k] += (1.0 - t) * t;
        }
    }
    for (int k = 0; k + 1 < K; k++) {
        double e = a->l[k];
        a->l[k] = e / a->d[k];
        a->d[k + 1] -= a->l[k] * e;
    }
    return a;
}

/* r[rows] = M b[bins]. */
static void axismap_rows(const axismap *a, const double *b, double *r)
{
    for (int j = 0; j < a->rows; j++) {
        int k = a->rk[j];
        double t = a->rt[j];
        r[j] = t > 0.0 ? (1.0 - t) * b[k] + t * b[k + 1] : b[k];
    }
}

/* b[bins] = the least-squares inverse of r[rows] (see axismap). */
static void axismap_bins(axismap *a, const double *r, double *b)
{
    const int K = a->bins;
    double *y = a->y;
    for (int k = 0; k < K; k++) {
        int j = a->bk[k];
        double t = a->bt[k];
        double b0 = t > 0.0 ? (1.0 - t) * r[j] + t * r[j + 1] : r[j];
        y[k] = AXIS_MU * b0;
    }
    for (int j = 0; j < a->rows; j++) {
        int k = a->rk[j];
        double t = a->rt[j];
        y[k] += (1.0 - t) * r[j];
        if (k + 1 < K)
            y[k + 1] += t * r[j];
    }
    for (int k = 1; k < K; k++)
        y[k] -= a->l[k - 1] * y[k - 1];
    b[K - 1] = y[K - 1] / a->d[K - 1];
    for (int k = K - 2; k >= 0; k--)
        b[k] = y[k] / a->d[k] - a->l[k] * b[k + 1];
}

/* max/min over n of sum_k w^2(n - k hop) for the periodic Hann window:
 * the ratio of the STFT's frame bounds, which turns a spectral error into
 * a bound on the time-domain error (README). 1 for hop <= window/4 when
 * hop divides window/4. */
static double frame_ratio(int window, int hop)
{
    double lo = INFINITY, hi = 0.0;
    for (int n = 0; n < hop; n++) {
        double s = 0.0;
        for (int j = n; j < window; j += hop) {
            double w = 0.5 - 0.5 * cos(2.0 * M_PI * j / window);
            s += w * w;
        }
        if (s < lo)
            lo = s;
        if (s > hi)
            hi = s;
    }
    return lo > 0.0 ? hi / lo : INFINITY;
}

/* ---- spectrogram -> pixels -------------------------------------------- */

/* Work arrays of one column: bins and rows sized. */
typedef struct colwork {
    double *bre, *bim, *bmag;   /* bins */
    double *rre, *rim, *rmag;   /* rows */
} colwork;

static void colwork_free(colwork *w)
{
    free(w->bre);
    free(w->bim);
    free(w->bmag);
    free(w->rre);
    free(w->rim);
    free(w->rmag);
}

static int colwork_init(colwork *w, const layout *l)
{
    memset(w, 0, sizeof *w);
    w->bre = malloc(sizeof(double) * (size_t)l->bins);
    w->bim = malloc(sizeof(double) * (size_t)l->bins);
    w->bmag = malloc(sizeof(double) * (size_t)l->bins);
    w->rre = malloc(sizeof(double) * (size_t)l->rows);
    w->rim = malloc(sizeof(double) * (size_t)l->rows);
    w->rmag = malloc(sizeof(double) * (size_t)l->rows);
    if (!w->bre || !w->bim || !w->bmag || !w->rre || !w->rim || !w->rmag) {
        colwork_free(w);
        return -1;
    }
    return 0;
}

/* Pixels (rows from the top, width x channels) of spectrogram spec.
 * Colour images resample the complex values along the axis (their rows
 * are exact linear combinations of bins, which the way back inverts);
 * grayscale ones the magnitudes. */
static void encode_image(const layout *l, axismap *am, const sm_cpx *spec,
                         uint16_t *px, colwork *w, long long *clip)
{
    const int ch = l->colour ? 3 : 1;
    for (int x = 0; x < l->width; x++) {
        const sm_cpx *X = spec + (size_t)(x + l->first) * l->bins;
        /* Time origin at the frame centre: multiply bin k by (-1)^k, so
         * the phase varies slowly along the frequency axis (what makes the
         * hue readable and interpolation along the axis meaningful). */
        for (int k = 0; k < l->bins; k++) {
            double s = (k & 1) ? -1.0 : 1.0;
            w->bre[k] = s * X[k].re;
            w->bim[k] = s * X[k].im;
            w->bmag[k] = hypot(w->bre[k], w->bim[k]);
        }
        if (axis_identity(l)) {
            memcpy(w->rre, w->bre, sizeof(double) * (size_t)l->rows);
            memcpy(w->rim, w->bim, sizeof(double) * (size_t)l->rows);
            memcpy(w->rmag, w->bmag, sizeof(double) * (size_t)l->rows);
        } else if (l->colour) {
            axismap_rows(am, w->bre, w->rre);
            axismap_rows(am, w->bim, w->rim);
            for (int r = 0; r < l->rows; r++)
                w->rmag[r] = hypot(w->rre[r], w->rim[r]);
        } else {
            axismap_rows(am, w->bmag, w->rmag);
        }
        for (int r = 0; r < l->rows; r++) {
            unsigned v = level_of(l, w->rmag[r], clip);
            uint16_t *p = px + ((size_t)(l->rows - 1 - r) * l->width + x) * ch;
            if (!l->colour) {
                p[0] = (uint16_t)v;
            } else {
                double phi = (w->rre[r] == 0.0 && w->rim[r] == 0.0)
                                 ? 0.0
                                 : atan2(w->rim[r], w->rre[r]);
                rgb_of(v, phi, p);
            }
        }
    }
}

/* ---- pixels -> spectrogram -------------------------------------------- */

/* Target magnitudes mag[frames * bins] and, with spec, the complex
 * spectrogram with the stored phase; frames outside the image's columns
 * are silent. A colour image (l->colour) is always decoded through its
 * complex values, even when only the magnitude is wanted: that is the
 * exact inverse of its rows on a resampled axis. */
static void decode_image(const layout *l, axismap *am, const sm_png *img,
                         float *mag, sm_cpx *spec, colwork *w)
{
    const int ch = img->channels;
    memset(mag, 0, sizeof(float) * (size_t)l->frames * l->bins);
    if (spec)
        memset(spec, 0, sizeof(sm_cpx) * (size_t)l->frames * l->bins);
    for (int x = 0; x < l->width; x++) {
        for (int r = 0; r < l->rows; r++) {
            const uint16_t *p =
                img->px + ((size_t)(l->rows - 1 - r) * l->width + x) * ch;
            unsigned v;
            double phi = 0.0;
            if (ch == 1)
                v = p[0];
            else if (l->colour)
                v = rgb_phase(p, &phi);
            else
                v = p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2])
                                : (p[1] > p[2] ? p[1] : p[2]);
            w->rmag[r] = mag_of(l, v);
            w->rre[r] = w->rmag[r] * cos(phi);
            w->rim[r] = w->rmag[r] * sin(phi);
        }
        if (axis_identity(l)) {
            memcpy(w->bre, w->rre, sizeof(double) * (size_t)l->bins);
            memcpy(w->bim, w->rim, sizeof(double) * (size_t)l->bins);
            memcpy(w->bmag, w->rmag, sizeof(double) * (size_t)l->bins);
        } else if (l->colour) {
            axismap_bins(am, w->rre, w->bre);
            axismap_bins(am, w->rim, w->bim);
            for (int k = 0; k < l->bins; k++)
                w->bmag[k] = hypot(w->bre[k], w->bim[k]);
        } else {
            axismap_bins(am, w->rmag, w->bmag);
            for (int k = 0; k < l->bins; k++)
                if (!(w->bmag[k] > 0.0))
                    w->bmag[k] = 0.0; /* least squares may undershoot */
        }
        const size_t off = (size_t)(x + l->first) * l->bins;
        for (int k = 0; k < l->bins; k++) {
            mag[off + k] = (float)w->bmag[k];
            if (spec) {
                double s = (k & 1) ? -1.0 : 1.0; /* back to the frame start */
                spec[off + k] = (sm_cpx){(float)(s * w->bre[k]),
                                         (float)(s * w->bim[k])};
            }
        }
    }
}

/* ---- metadata ----------------------------------------------------------- */

#define NKEYS 22

typedef struct meta_out {
    int n;
    char *keys[NKEYS];
    char *vals[NKEYS];
    char buf[NKEYS][96];
} meta_out;

static void meta_add(meta_out *m, const char *key, const char *fmt, ...)
{
    if (m->n == NKEYS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->buf[m->n], sizeof m->buf[m->n], fmt, ap);
    va_end(ap);
    m->keys[m->n] = (char *)key;
    m->vals[m->n] = m->buf[m->n];
    m->n++;
}

static void meta_build(const layout *l, meta_out *m)
{
    m->n = 0;
    meta_add(m, "Software", PROG " " SM_VERSION);
    meta_add(m, "specmorph:format", "%d", META_FORMAT);
    meta_add(m, "specmorph:software", PROG " " SM_VERSION);
    meta_add(m, "specmorph:rate_hz", "%.17g", l->rate_hz);
    meta_add(m, "specmorph:length_samples", "%lld", l->length);
    meta_add(m, "specmorph:channels", "mono-mix");
    meta_add(m, "specmorph:source_channels", "%d", l->src_channels);
    meta_add(m, "specmorph:window", "%d", l->window);
    meta_add(m, "specmorph:window_type", "hann-periodic");
    meta_add(m, "specmorph:fft_size", "%d", l->window);
    meta_add(m, "specmorph:hop", "%d", l->hop);
    meta_add(m, "specmorph:bins", "%d", l->bins);
    meta_add(m, "specmorph:frames", "%d", l->frames);
    meta_add(m, "specmorph:content", l->colour ? "magnitude+phase"
                                               : "magnitude");
    if (l->colour)
        meta_add(m, "specmorph:phase", "hsv-hue frame-centre");
    meta_add(m, "specmorph:scale", l->scale == SCALE_LOG ? "log" : "power");
    meta_add(m, "specmorph:top_db", "%.17g", l->top_db);
    if (l->scale == SCALE_LOG)
        meta_add(m, "specmorph:db_range", "%.17g", l->db_range);
    else
        meta_add(m, "specmorph:power", "%.17g", l->power);
    meta_add(m, "specmorph:freq_scale",
             l->axis == AXIS_LOG ? "log" : "linear");
    meta_add(m, "specmorph:rows", "%d", l->rows);
    if (l->axis == AXIS_LOG)
        meta_add(m, "specmorph:knee_hz", "%.17g", l->knee_hz);
}

/* One required metadata value; -1 with a message when missing. */
static const char *meta_get(const sm_png *img, const char *path,
                            const char *key, char *why, size_t len)
{
    int dups = 0;
    const char *v = sm_png_text(img, key, &dups);
    if (!v) {
        snprintf(why, len, "%s: incomplete metadata: no %s", path, key);
        return NULL;
    }
    if (dups) {
        snprintf(why, len, "%s: inconsistent metadata: %s appears %d times",
                 path, key, dups + 1);
        return NULL;
    }
    return v;
}

#define META_INT(key, dst, lo, hi)                                           \
    do {                                                                     \
        const char *s_ = meta_get(img, path, key, why, len);                 \
        long long v_;                                                        \
        if (!s_)                                                             \
            return -1;                                                       \
        if (parse_ll(s_, &v_) || v_ < (lo) || v_ > (hi)) {                   \
            snprintf(why, len, "%s: bad metadata: %s = '%s' (expected an "   \
                     "integer from %lld to %lld)", path, key, s_,            \
                     (long long)(lo), (long long)(hi));                      \
            return -1;                                                       \
        }                                                                    \
        dst = v_;                                                            \
    } while (0)

#define META_NUM(key, dst, lo, hi, lo_open)                                  \
    do {                                                                     \
        const char *s_ = meta_get(img, path, key, why, len);                 \
        double v_;                                                           \
        if (!s_)                                                             \
            return -1;                                                       \
        if (parse_num(s_, &v_) || v_ > (hi) ||                               \
            ((lo_open) ? v_ <= (lo) : v_ < (lo))) {                          \
            snprintf(why, len, "%s: bad metadata: %s = '%s' (expected a "    \
                     "number %s %g and <= %g)", path, key, s_,               \
                     (lo_open) ? ">" : ">=", (double)(lo), (double)(hi));    \
            return -1;                                                       \
        }                                                                    \
        dst = v_;                                                            \
    } while (0)

/* Whether the image has any specmorph: key (then all must be right). */
static int has_meta(const sm_png *img)
{
    for (int i = 0; i < img->ntext; i++)
        if (!strncmp(img->keys[i], "specmorph:", 10))
            return 1;
    return 0;
}

/* The layout from the image's metadata; -1 with a reason naming the key
 * that is missing, absurd or inconsistent. */
static int meta_parse(const sm_png *img, const char *path, layout *l,
                      char *why, size_t len)
{
    long long iv;
    const char *s;
    memset(l, 0, sizeof *l);
    META_INT("specmorph:format", iv, 1, 1000000);
    if (iv > META_FORMAT) {
        snprintf(why, len, "%s: metadata format %lld is newer than this "
                 "version understands (%d): use a newer " PROG, path, iv,
                 META_FORMAT);
        return -1;
    }
    META_NUM("specmorph:rate_hz", l->rate_hz, MIN_RATE, MAX_RATE, 0);
    META_INT("specmorph:window", l->window, 4, MAX_WINDOW);
    if (l->window & 1) {
        snprintf(why, len, "%s: bad metadata: specmorph:window = %d (must "
                 "be even)", path, l->window);
        return -1;
    }
    if ((s = sm_png_text(img, "specmorph:fft_size", NULL)) &&
        (parse_ll(s, &iv) || iv != l->window)) {
        snprintf(why, len, "%s: inconsistent metadata: specmorph:fft_size "
                 "= '%s' differs from specmorph:window = %d", path, s,
                 l->window);
        return -1;
    }
    if ((s = sm_png_text(img, "specmorph:window_type", NULL)) &&
        strcmp(s, "hann-periodic")) {
        snprintf(why, len, "%s: bad metadata: specmorph:window_type = '%s' "
                 "(only hann-periodic is known)", path, s);
        return -1;
    }
    META_INT("specmorph:hop", l->hop, 1, l->window / 2);
    l->bins = l->window / 2 + 1;
    if ((s = sm_png_text(img, "specmorph:bins", NULL)) &&
        (parse_ll(s, &iv) || iv != l->bins)) {
        snprintf(why, len, "%s: inconsistent metadata: specmorph:bins = '%s'"
                 " (window %d has %d bins)", path, s, l->window, l->bins);
        return -1;
    }
    META_INT("specmorph:length_samples", l->length, 1, 1LL << 40);
    /* frames as offline.h counts them, in 64 bits (a huge length must
     * not wrap into a plausible int) */
    long long fr = (l->length - 1 + l->window - l->hop) / l->hop + 1;
    l->frames = fr > img->width ? -1 : (int)fr;
    if (fr != img->width) {
        snprintf(why, len, "%s: inconsistent metadata: "
                 "specmorph:length_samples = %lld makes %lld frames at hop "
                 "%d but the image is %d columns wide", path, l->length,
                 fr, l->hop, img->width);
        return -1;
    }
    if ((s = sm_png_text(img, "specmorph:frames", NULL)) &&
        (parse_ll(s, &iv) || iv != l->frames)) {
        snprintf(why, len, "%s: inconsistent metadata: specmorph:frames = "
                 "'%s' but the image is %d columns wide", path, s,
                 img->width);
        return -1;
    }
    s = meta_get(img, path, "specmorph:scale", why, len);
    if (!s)
        return -1;
    if (!strcmp(s, "log")) {
        l->scale = SCALE_LOG;
        META_NUM("specmorph:db_range", l->db_range, 1.0, 300.0, 0);
    } else if (!strcmp(s, "power")) {
        l->scale = SCALE_POWER;
        META_NUM("specmorph:power", l->power, 0.0, 1.0, 1);
    } else {
        snprintf(why, len, "%s: bad metadata: specmorph:scale = '%s' "
                 "(expected log or power)", path, s);
        return -1;
    }
    META_NUM("specmorph:top_db", l->top_db, -200.0, 200.0, 0);
    s = meta_get(img, path, "specmorph:freq_scale", why, len);
    if (!s)
        return -1;
    if (!strcmp(s, "linear")) {
        l->axis = AXIS_LINEAR;
    } else if (!strcmp(s, "log")) {
        l->axis = AXIS_LOG;
        META_NUM("specmorph:knee_hz", l->knee_hz, 0.0, MAX_RATE, 1);
    } else {
        snprintf(why, len, "%s: bad metadata: specmorph:freq_scale = '%s' "
                 "(expected linear or log)", path, s);
        return -1;
    }
    META_INT("specmorph:rows", l->rows, 1, MAX_ROWS);
    if (l->rows != img->height) {
        snprintf(why, len, "%s: inconsistent metadata: specmorph:rows = %d "
                 "but the image is %d rows high", path, l->rows,
                 img->height);
        return -1;
    }
    if (l->axis == AXIS_LINEAR && l->rows != l->bins) {
        snprintf(why, len, "%s: inconsistent metadata: a linear axis has "
                 "one row per bin (%d) but the image has %d rows", path,
                 l->bins, l->rows);
        return -1;
    }
    if (l->axis == AXIS_LOG && l->rows < 2) {
        snprintf(why, len, "%s: bad metadata: a log axis needs at least 2 "
                 "rows", path);
        return -1;
    }
    s = meta_get(img, path, "specmorph:content", why, len);
    if (!s)
        return -1;
    if (!strcmp(s, "magnitude+phase")) {
        if (img->channels != 3) {
            snprintf(why, len, "%s: inconsistent metadata: "
                     "specmorph:content = magnitude+phase in a grayscale "
                     "image (the phase needs colour)", path);
            return -1;
        }
        l->colour = 1;
    } else if (!strcmp(s, "magnitude")) {
        l->colour = 0;
    } else {
        snprintf(why, len, "%s: bad metadata: specmorph:content = '%s' "
                 "(expected magnitude+phase or magnitude)", path, s);
        return -1;
    }
    if ((s = sm_png_text(img, "specmorph:source_channels", NULL)) &&
        !parse_ll(s, &iv) && iv >= 1 && iv <= 1024)
        l->src_channels = (int)iv;
    else
        l->src_channels = 1;
    l->width = img->width;
    l->first = 0;
    return 0;
}

/* ---- options ---------------------------------------------------------- */

static int opt_int(const char *name, const char *s, long long lo,
                   long long hi, int *dst)
{
    long long v;
    if (parse_ll(s, &v) || v < lo || v > hi)
        return fail(2, "%s: '%s' (expected an integer from %lld to %lld)",
                    name, s, lo, hi);
    *dst = (int)v;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_WINDOW = 256, O_HOP, O_SCALE, O_DBRANGE, O_POWER, O_AXIS,
           O_ROWS, O_KNEE, O_MAGONLY, O_PHASE, O_ITER, O_LOOKAHEAD, O_RATE,
           O_FORMAT, O_REPORT, O_VERSION };
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},
        {"force", no_argument, 0, 'f'},
        {"window", required_argument, 0, O_WINDOW},
        {"hop", required_argument, 0, O_HOP},
        {"scale", required_argument, 0, O_SCALE},
        {"db-range", required_argument, 0, O_DBRANGE},
        {"power", required_argument, 0, O_POWER},
        {"freq-scale", required_argument, 0, O_AXIS},
        {"rows", required_argument, 0, O_ROWS},
        {"knee", required_argument, 0, O_KNEE},
        {"magnitude-only", no_argument, 0, O_MAGONLY},
        {"phase", required_argument, 0, O_PHASE},
        {"iterations", required_argument, 0, O_ITER},
        {"lookahead", required_argument, 0, O_LOOKAHEAD},
        {"rate", required_argument, 0, O_RATE},
        {"format", required_argument, 0, O_FORMAT},
        {"report", no_argument, 0, O_REPORT},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    int c, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:fqh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'f': o->force = 1; break;
        case 'q': o->quiet = 1; break;
        case O_WINDOW:
            if ((rc = opt_int("--window", optarg, 4, MAX_WINDOW, &o->window)))
                return rc;
            if (o->window & 1)
                return fail(2, "--window: %d is odd (the window must be "
                               "even)", o->window);
            o->given |= G_WINDOW;
            break;
        case O_HOP:
            if ((rc = opt_int("--hop", optarg, 1, MAX_WINDOW / 2, &o->hop)))
                return rc;
            o->given |= G_HOP;
            break;
        case O_SCALE:
            if (!strcmp(optarg, "log"))
                o->scale = SCALE_LOG;
            else if (!strcmp(optarg, "power"))
                o->scale = SCALE_POWER;
            else
                return fail(2, "--scale: '%s' (expected log or power)",
                            optarg);
            o->given |= G_SCALE;
            break;
        case O_DBRANGE:
            if (parse_num(optarg, &o->db_range) || o->db_range < 1.0 ||
                o->db_range > 300.0)
                return fail(2, "--db-range: '%s' (expected a number from 1 "
                               "to 300 dB)", optarg);
            o->given |= G_DBRANGE;
            break;
        case O_POWER:
            if (parse_num(optarg, &o->power) || o->power <= 0.0 ||
                o->power > 1.0)
                return fail(2, "--power: '%s' (expected a number > 0 and "
                               "<= 1)", optarg);
            o->given |= G_POWER;
            break;
        case O_AXIS:
            if (!strcmp(optarg, "linear"))
                o->axis = AXIS_LINEAR;
            else if (!strcmp(optarg, "log"))
                o->axis = AXIS_LOG;
            else
                return fail(2, "--freq-scale: '%s' (expected linear or log)",
                            optarg);
            o->given |= G_AXIS;
            break;
        case O_ROWS:
            if (!strcmp(optarg, "dense"))
                o->rows = ROWS_DENSE;
            else if ((rc = opt_int("--rows", optarg, 2, MAX_ROWS, &o->rows)))
                return rc;
            o->given |= G_ROWS;
            break;
        case O_KNEE:
            if (parse_num(optarg, &o->knee_hz) || o->knee_hz <= 0.0 ||
                o->knee_hz > MAX_RATE)
                return fail(2, "--knee: '%s' (expected a frequency > 0 Hz)",
                            optarg);
            o->given |= G_KNEE;
            break;
        case O_MAGONLY: o->magnitude_only = 1; o->given |= G_MAGONLY; break;
        case O_PHASE:
            o->phase = sm_phase_find(optarg);
            if (o->phase < 0)
                return fail(2, "--phase: unknown method '%s' (expected one "
                               "of mix, lws, pghi, rtisila, bregman, hpss, "
                               "gla, fgla)", optarg);
            o->given |= G_PHASE;
            break;
        case O_ITER:
            if ((rc = opt_int("--iterations", optarg, 1, 10000,
                              &o->iterations)))
                return rc;
            o->given |= G_ITER;
            break;
        case O_LOOKAHEAD:
            if ((rc = opt_int("--lookahead", optarg, 0,
                              SM_PHASE_MAX_LOOKAHEAD, &o->lookahead)))
                return rc;
            o->given |= G_LOOKAHEAD;
            break;
        case O_RATE:
            if (parse_num(optarg, &o->rate_hz) || o->rate_hz < MIN_RATE ||
                o->rate_hz > MAX_RATE)
                return fail(2, "--rate: '%s' (expected a rate from %g to %g "
                               "Hz)", optarg, MIN_RATE, MAX_RATE);
            o->given |= G_RATE;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "float") && strcmp(optarg, "pcm16") &&
                strcmp(optarg, "pcm24"))
                return fail(2, "--format: '%s' (expected float, pcm16 or "
                               "pcm24)", optarg);
            o->format = optarg;
            o->given |= G_FORMAT;
            break;
        case O_REPORT: o->report = 1; break;
        case 'h': usage(stdout); exit(0);
        case O_VERSION: printf(PROG " " SM_VERSION "\n"); exit(0);
        case ':':
            return fail(2, "%s: needs a value (see --help)", argv[optind - 1]);
        default:
            return fail(2, "unknown option '%s' (see --help)",
                        argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return fail(2, argc - optind ? "expected one input, got %d (see "
                                       "--help)"
                                     : "no input (see --help)",
                    argc - optind);
    o->in = argv[optind];
    if ((o->given & G_HOP) && (o->given & G_WINDOW) &&
        o->hop > o->window / 2)
        return fail(2, "--hop %d is more than half of --window %d (the "
                       "frames must overlap at least by half)",
                    o->hop, o->window);
    if ((o->given & G_ROWS) && (o->given & G_AXIS) && o->axis != AXIS_LOG)
        return fail(2, "--rows applies to --freq-scale log (a linear axis "
                       "has one row per bin)");
    if ((o->given & G_KNEE) && (o->given & G_AXIS) && o->axis != AXIS_LOG)
        return fail(2, "--knee applies to --freq-scale log");
    if ((o->given & G_POWER) && o->scale != SCALE_POWER)
        return fail(2, "--power applies to --scale power");
    if ((o->given & G_DBRANGE) && o->scale != SCALE_LOG)
        return fail(2, "--db-range applies to --scale log");
    return 0;
}

/* ---- file names ------------------------------------------------------ */

static const char *ext_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

/* The input's name and folder with extension ext. */
static char *default_output(const char *in, const char *ext)
{
    const char *e = ext_of(in);
    size_t stem = *e ? (size_t)(e - 1 - in) : strlen(in);
    char *out = malloc(stem + strlen(ext) + 2);
    if (out)
        sprintf(out, "%.*s.%s", (int)stem, in, ext);
    return out;
}

/* Refuses to overwrite (without --force) and never writes onto the
 * input. */
static int check_output(const char *in, const char *out, int force)
{
    struct stat si, so;
    if (stat(out, &so) != 0)
        return 0;
    if (stat(in, &si) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return fail(2, "%s: the output would overwrite the input (give -o)",
                    out);
    if (S_ISDIR(so.st_mode))
        return fail(2, "%s: is a directory", out);
    if (!force)
        return fail(2, "%s: exists (use --force to overwrite)", out);
    return 0;
}

/* Holds off SIGINT/SIGTERM/SIGHUP while the output is committed, so an
 * interrupt leaves either no file or a complete one. */
static void block_signals(int on)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    sigprocmask(on ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
}

static double snr_db(double sig, double err)
{
    if (err <= 0.0)
        return INFINITY;
    if (sig <= 0.0)
        return -INFINITY;
    return 10.0 * log10(sig / err);
}

/* ---- audio -> image ---------------------------------------------------- */

static int audio_to_image(const opts *o, const char *out)
{
    static const struct { unsigned bit; const char *name; } only_back[] = {
        {G_PHASE, "--phase"}, {G_ITER, "--iterations"},
        {G_LOOKAHEAD, "--lookahead"}, {G_RATE, "--rate"},
        {G_FORMAT, "--format"}};
    for (size_t i = 0; i < sizeof only_back / sizeof only_back[0]; i++)
        if (o->given & only_back[i].bit)
            warn("%s applies to image -> audio; ignored", only_back[i].name);
    if (strcasecmp(ext_of(out), "png"))
        return fail(2, "%s: the output of audio -> image is a PNG (name it "
                       ".png)", out);
    if ((o->given & G_ROWS) && o->axis != AXIS_LOG)
        return fail(2, "--rows applies to --freq-scale log (a linear axis "
                       "has one row per bin)");
    if ((o->given & G_KNEE) && o->axis != AXIS_LOG)
        return fail(2, "--knee applies to --freq-scale log");
    if (o->hop > o->window / 2)
        return fail(2, "--hop %d is more than half of the window %d (the "
                       "frames must overlap at least by half)", o->hop,
                    o->window);
    int rc = check_output(o->in, out, o->force);
    if (rc)
        return rc;

    char why[600];
    sm_reader *rd = sm_reader_open(o->in, 0, why, sizeof why);
    if (!rd)
        return fail(2, "%s", why);
    layout l = {0};
    l.rate_hz = sm_reader_file_rate(rd);
    l.src_channels = sm_reader_channels(rd);
    l.length = sm_reader_frames(rd);
    l.window = o->window;
    l.hop = o->hop;
    l.bins = l.window / 2 + 1;
    l.scale = o->scale;
    l.db_range = o->db_range;
    l.power = o->power;
    l.top_db = 0.0;
    l.axis = o->axis;
    l.knee_hz = o->knee_hz;
    l.colour = !o->magnitude_only;
    if (l.length / l.hop + 2 > MAX_BINS_TOTAL / l.bins) {
        sm_reader_close(rd);
        return fail(2, "%s: too long for one image (%lld samples at hop %d)"
                       ": use a larger --hop or split it", o->in, l.length,
                    l.hop);
    }
    if (l.axis == AXIS_LOG && !(l.knee_hz < 0.5 * l.rate_hz)) {
        sm_reader_close(rd);
        return fail(2, "--knee %g Hz: must be below the Nyquist frequency "
                       "(%g Hz)", l.knee_hz, 0.5 * l.rate_hz);
    }
    l.frames = sm_spec_frames((size_t)l.length, l.window, l.hop);
    l.width = l.frames;
    l.rows = l.bins;
    if (l.axis == AXIS_LOG && (o->given & G_ROWS))
        l.rows = o->rows;
    if (l.rows == ROWS_DENSE) {
        /* Row spacing at Nyquist, in bins, is (rows - 1)^-1 times
         * (bins - 1)(1 + knee/fn) ln(1 + fn/knee): half a bin or less
         * there means half a bin or less everywhere. */
        double fn = 0.5 * l.rate_hz;
        double need = 2.0 * (l.bins - 1) * (1.0 + l.knee_hz / fn) *
                      log1p(fn / l.knee_hz);
        l.rows = need + 1.0 > MAX_ROWS ? MAX_ROWS + 1 : (int)ceil(need) + 1;
        if (l.rows > MAX_ROWS) {
            sm_reader_close(rd);
            return fail(2, "--rows dense: window %d needs more than %d rows "
                           "(use a smaller window or a larger --knee)",
                        l.window, MAX_ROWS);
        }
    }
    l.first = 0;
    if ((long long)l.frames * l.bins > MAX_BINS_TOTAL ||
        (long long)l.frames * l.rows > SM_PNG_MAX_PIXELS) {
        sm_reader_close(rd);
        return fail(2, "%s: too long for one image (%d frames x %d rows; at "
                       "most %lld pixels): use a larger --hop or split it",
                    o->in, l.frames, l.rows, SM_PNG_MAX_PIXELS);
    }
    if (l.src_channels > 1)
        warn("%s: %d channels mixed down to mono (an image holds one "
             "channel)", o->in, l.src_channels);

    const size_t nbin = (size_t)l.frames * l.bins;
    const int ch = l.colour ? 3 : 1;
    float *x = malloc(sizeof(float) * (size_t)l.length);
    sm_cpx *spec = calloc(nbin, sizeof(sm_cpx));
    colwork cw;
    int cw_ok = colwork_init(&cw, &l) == 0;
    axismap *am = axis_identity(&l) ? NULL : axismap_new(&l);
    sm_png img = {.width = l.width, .height = l.rows, .channels = ch};
    img.px = calloc((size_t)l.width * l.rows * ch, sizeof(uint16_t));
    rc = 1;
    if (!x || !spec || !cw_ok || (!axis_identity(&l) && !am) || !img.px) {
        rc = fail(1, "out of memory (%d frames x %d bins)", l.frames, l.bins);
        goto out;
    }
    if (sm_reader_read(rd, x, (size_t)l.length, why, sizeof why) != 0) {
        rc = fail(2, "%s: %s", o->in, why);
        goto out;
    }
    for (long long i = 0; i < l.length; i++)
        if (!isfinite(x[i]))
            x[i] = 0.0f;
    sm_error e = sm_spec_analyze(x, (size_t)l.length, l.window, l.hop, spec);
    if (e != SM_OK) {
        rc = fail(1, "STFT: %s", sm_strerror(e));
        goto out;
    }
    long long clip = 0;
    encode_image(&l, am, spec, img.px, &cw, &clip);
    if (clip)
        warn("%lld bins above the top of the scale (0 dB = window/2, the "
             "most a signal within [-1, 1] gives) were clipped: the way "
             "back will not be exact", clip);

    if (o->report) {
        /* Decode the pixels as the way back will, and measure the error
         * against the true spectrogram (full-spectrum energy: interior
         * bins count twice, as in the real signal). */
        float *mag = malloc(sizeof(float) * nbin);
        sm_cpx *back = l.colour ? malloc(sizeof(sm_cpx) * nbin) : NULL;
        if (!mag || (l.colour && !back)) {
            free(mag);
            free(back);
            rc = fail(1, "out of memory");
            goto out;
        }
        decode_image(&l, am, &img, mag, back, &cw);
        double sig = 0.0, err = 0.0;
        for (size_t i = 0; i < nbin; i++) {
            int k = (int)(i % (size_t)l.bins);
            double w = (k == 0 || k == l.bins - 1) ? 1.0 : 2.0;
            double a = hypot(spec[i].re, spec[i].im);
            double d;
            if (l.colour)
                d = hypot(spec[i].re - back[i].re, spec[i].im - back[i].im);
            else
                d = a - mag[i];
            sig += w * a * a;
            err += w * d * d;
        }
        double s = snr_db(sig, err), fr = frame_ratio(l.window, l.hop);
        printf("frames=%d rows=%d bins=%d\n", l.frames, l.rows, l.bins);
        printf("%s=%.3f\n", l.colour ? "spectral_snr_db" : "magnitude_snr_db",
               s);
        printf("frame_ratio_db=%.3f\n", 10.0 * log10(fr));
        if (l.colour)
            printf("snr_bound_db=%.3f\n", s - 10.0 * log10(fr));
        if (l.axis == AXIS_LOG) {
            /* Below this frequency the rows are denser than the bins. */
            double L = log1p(0.5 * l.rate_hz / l.knee_hz);
            double fx = (l.rows - 1) * l.rate_hz / (l.window * L) - l.knee_hz;
            printf("log_axis_dense_below_hz=%.1f\n", fx);
        }
        free(mag);
        free(back);
    }

    meta_out m;
    meta_build(&l, &m);
    img.ntext = m.n;
    img.keys = m.keys;
    img.values = m.vals;
    block_signals(1);
    int w = sm_png_write(out, &img, why, sizeof why);
    block_signals(0);
    img.ntext = 0;
    img.keys = img.values = NULL;
    if (w != 0) {
        rc = fail(1, "%s", why);
        goto out;
    }
    rc = 0;
out:
    sm_reader_close(rd);
    free(x);
    free(spec);
    if (cw_ok)
        colwork_free(&cw);
    axismap_free(am);
    free(img.px);
    return rc;
}

/* ---- image -> audio ---------------------------------------------------- */

/* The layout of an image without metadata: the documented defaults, with
 * the command line on top. */
static int painted_layout(const opts *o, const sm_png *img, layout *l)
{
    memset(l, 0, sizeof *l);
    l->rate_hz = (o->given & G_RATE) ? o->rate_hz : DEF_RATE;
    l->scale = o->scale;
    l->db_range = o->db_range;
    l->power = o->power;
    l->top_db = 0.0;
    l->axis = o->axis;
    l->knee_hz = o->knee_hz;
    l->rows = img->height;
    l->width = img->width;
    l->colour = 0;
    l->src_channels = 1;
    if (o->given & G_WINDOW) {
        l->window = o->window;
    } else if (l->axis == AXIS_LINEAR) {
        long long w = 2LL * (img->height - 1);
        l->window = (int)(w < 4 ? 4 : w > MAX_WINDOW ? MAX_WINDOW : w);
    } else {
        l->window = DEF_WINDOW;
    }
    l->hop = (o->given & G_HOP) ? o->hop : (l->window / 4 > 0 ? l->window / 4
                                                              : 1);
    if (l->hop > l->window / 2)
        return fail(2, "--hop %d is more than half of the window %d", l->hop,
                    l->window);
    if (l->axis == AXIS_LOG && l->rows < 2)
        return fail(2, "%s: a log axis needs at least 2 rows", o->in);
    if (l->axis == AXIS_LOG && !(l->knee_hz < 0.5 * l->rate_hz))
        return fail(2, "--knee %g Hz: must be below the Nyquist frequency "
                       "(%g Hz)", l->knee_hz, 0.5 * l->rate_hz);
    l->bins = l->window / 2 + 1;
    /* Column x is frame x + first: the leading frames reach before the
     * start, so the first column's window starts inside the signal and
     * the signal runs to the end of the last column's window. */
    l->first = (l->window + l->hop - 1) / l->hop - 1;
    l->length = (long long)(l->width + l->first) * l->hop;
    l->frames = sm_spec_frames((size_t)l->length, l->window, l->hop);
    return 0;
}

static int image_to_audio(const opts *o, const char *out)
{
    static const struct { unsigned bit; const char *name; } only_fwd[] = {
        {G_MAGONLY, "--magnitude-only"}};
    for (size_t i = 0; i < sizeof only_fwd / sizeof only_fwd[0]; i++)
        if (o->given & only_fwd[i].bit)
            warn("%s applies to audio -> image; ignored", only_fwd[i].name);
    static const char *const audio_ext[] = {"wav", "flac", "ogg", "aif",
                                            "aiff", "caf"};
    int known = 0;
    for (size_t i = 0; i < sizeof audio_ext / sizeof audio_ext[0]; i++)
        known |= !strcasecmp(ext_of(out), audio_ext[i]);
    if (!known)
        return fail(2, "%s: unknown output type '.%s' (expected .wav, .flac, "
                       ".ogg, .aiff or .caf)", out, ext_of(out));
    int rc = check_output(o->in, out, o->force);
    if (rc)
        return rc;

    char why[600];
    sm_png img;
    if (sm_png_read(o->in, &img, why, sizeof why) != 0)
        return fail(2, "%s", why);
    if (img.had_alpha)
        warn("%s: the alpha channel is ignored", o->in);
    layout l;
    const int meta = has_meta(&img);
    if (meta) {
        if (meta_parse(&img, o->in, &l, why, sizeof why) != 0) {
            sm_png_free(&img);
            return fail(2, "%s", why);
        }
        const unsigned set = G_WINDOW | G_HOP | G_SCALE | G_DBRANGE |
                             G_POWER | G_AXIS | G_ROWS | G_KNEE | G_RATE;
        if (o->given & set)
            warn("%s: the image's metadata sets the STFT, scale and axis; "
                 "those options are ignored", o->in);
    } else {
        if ((rc = painted_layout(o, &img, &l))) {
            sm_png_free(&img);
            return rc;
        }
        warn("%s: no specmorph metadata: read as %s scale, %s axis, %g Hz, "
             "window %d, hop %d, %lld samples", o->in,
             l.scale == SCALE_LOG ? "log" : "power",
             l.axis == AXIS_LOG ? "log" : "linear", l.rate_hz, l.window,
             l.hop, l.length);
    }
    if ((long long)l.frames * l.bins > MAX_BINS_TOTAL) {
        sm_png_free(&img);
        return fail(2, "%s: too large to process (%d frames x %d bins)",
                    o->in, l.frames, l.bins);
    }
    const int stored = l.colour && !(o->given & G_PHASE);
    const int method = (o->given & G_PHASE) ? o->phase : SM_PHASE_FGLA;
    int iterations = o->iterations;
    if (!stored) {
        if (!(o->given & G_ITER))
            iterations = method >= SM_PHASE_GLA
                             ? DEF_GLA_ITERATIONS
                             : (int)sm_param_get_info(SM_P_PHASE_ITERATIONS)
                                   ->def;
        if (method < SM_PHASE_GLA && iterations > SM_PHASE_MAX_ITERATIONS) {
            sm_png_free(&img);
            return fail(2, "--iterations %d: %s takes 1 to %d",
                        iterations, sm_phase_name(method),
                        SM_PHASE_MAX_ITERATIONS);
        }
    } else if (o->given & (G_ITER | G_LOOKAHEAD)) {
        warn("the image's stored phase is used (give --phase to "
             "reconstruct one): --iterations/--lookahead ignored");
    }

    const size_t nbin = (size_t)l.frames * l.bins;
    float *mag = malloc(sizeof(float) * nbin);
    sm_cpx *spec = calloc(nbin, sizeof(sm_cpx));
    colwork cw;
    int cw_ok = colwork_init(&cw, &l) == 0;
    axismap *am = axis_identity(&l) ? NULL : axismap_new(&l);
    float *y = malloc(sizeof(float) * (size_t)l.length);
    sm_writer *w = NULL;
    rc = 1;
    if (!mag || !spec || !cw_ok || (!axis_identity(&l) && !am) || !y) {
        rc = fail(1, "out of memory (%d frames x %d bins)", l.frames, l.bins);
        goto out;
    }
    decode_image(&l, am, &img, mag, stored ? spec : NULL, &cw);
    sm_png_free(&img);
    if (!stored) {
        sm_phase_setup s = {
            .window = l.window,
            .hop = l.hop,
            .fs_hz = l.rate_hz,
            .method = method,
            .lookahead = (o->given & G_LOOKAHEAD)
                             ? o->lookahead
                             : (int)sm_param_get_info(SM_P_PHASE_LOOKAHEAD)->def,
            .init = (int)sm_param_get_info(SM_P_PHASE_INIT)->def,
            .harmonic = (int)sm_param_get_info(SM_P_PHASE_HARMONIC)->def,
            .percussive = (int)sm_param_get_info(SM_P_PHASE_PERCUSSIVE)->def,
            .hpss_ms = sm_param_get_info(SM_P_PHASE_HPSS_MS)->def,
            .hpss_hz = sm_param_get_info(SM_P_PHASE_HPSS_HZ)->def,
        };
        sm_error e = sm_phase_offline(&s, mag, l.frames, NULL, iterations,
                                      spec);
        if (e != SM_OK) {
            rc = fail(1, "phase (%s): %s", sm_phase_name(method),
                      sm_strerror(e));
            goto out;
        }
    }
    sm_error e = sm_spec_synth(spec, l.frames, l.window, l.hop, y,
                               (size_t)l.length);
    if (e != SM_OK) {
        rc = fail(1, "inverse STFT: %s", sm_strerror(e));
        goto out;
    }
    double peak = 0.0;
    for (long long i = 0; i < l.length; i++) {
        if (!isfinite(y[i])) {
            rc = fail(1, "internal error: non-finite sample %lld (phase %s)",
                      i, stored ? "stored" : sm_phase_name(method));
            goto out;
        }
        if (fabs(y[i]) > peak)
            peak = fabs(y[i]);
    }
    if (o->report) {
        printf("phase=%s", stored ? "stored" : sm_phase_name(method));
        if (!stored)
            printf(" iterations=%d", iterations);
        printf("\nframes=%d bins=%d length=%lld rate_hz=%g\n", l.frames,
               l.bins, l.length, l.rate_hz);
        printf("sc_db=%.3f\n", sm_spectral_convergence_db(
                                   mag, l.frames, l.window, l.hop, y,
                                   (size_t)l.length));
        printf("peak_dbfs=%.3f\n", peak > 0 ? 20.0 * log10(peak) : -INFINITY);
    }
    if (peak > 1.0) {
        /* Only when it would clip: the level is the image's otherwise. */
        double g = 1.0 / peak;
        for (long long i = 0; i < l.length; i++) {
            double v = y[i] * g;
            y[i] = (float)(v > 1.0 ? 1.0 : v < -1.0 ? -1.0 : v);
        }
        warn("peak %+.2f dBFS: scaled by %.2f dB to avoid clipping",
             20.0 * log10(peak), -20.0 * log10(peak));
    }
    block_signals(1);
    w = sm_writer_open(out, (int)lround(l.rate_hz), 1, o->format, why,
                       sizeof why);
    if (!w) {
        block_signals(0);
        rc = fail(2, "%s", why);
        goto out;
    }
    if (sm_writer_write(w, y, (size_t)l.length, why, sizeof why) != 0 ||
        sm_writer_commit(w, why, sizeof why) != 0) {
        block_signals(0);
        rc = fail(1, "%s", why);
        goto out;
    }
    w = NULL;
    block_signals(0);
    if (fabs(l.rate_hz - lround(l.rate_hz)) > 1e-9)
        warn("rate %g Hz written as %ld Hz", l.rate_hz, lround(l.rate_hz));
    rc = 0;
out:
    sm_writer_abort(w);
    sm_png_free(&img);
    free(mag);
    free(spec);
    if (cw_ok)
        colwork_free(&cw);
    axismap_free(am);
    free(y);
    return rc;
}

int main(int argc, char **argv)
{
    opts o = {
        .window = DEF_WINDOW, .hop = DEF_HOP, .scale = SCALE_LOG,
        .axis = AXIS_LINEAR, .db_range = DEF_DB_RANGE, .power = DEF_POWER,
        .knee_hz = DEF_KNEE_HZ, .rate_hz = DEF_RATE, .phase = SM_PHASE_FGLA,
    };
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    quiet_flag = o.quiet;
    if ((o.given & G_WINDOW) && !(o.given & G_HOP))
        o.hop = o.window / 4 > 0 ? o.window / 4 : 1;

    char why[600];
    int is_png = sm_png_sniff(o.in, why, sizeof why);
    if (is_png < 0)
        return fail(2, "%s", why);
    if (!is_png && !strcasecmp(ext_of(o.in), "png"))
        return fail(2, "%s: not a PNG file (no PNG signature)", o.in);
    char *out = o.out ? strdup(o.out)
                      : default_output(o.in, is_png ? "wav" : "png");
    if (!out)
        return fail(1, "out of memory");
    rc = is_png ? image_to_audio(&o, out) : audio_to_image(&o, out);
    free(out);
    return rc;
}
