/* wavcmp.c: sm-wavcmp, compares or describes audio files for the shell
 * tests (bit identity, lengths, levels) without a Python dependency.
 *
 *   sm-wavcmp info FILE           frames=N channels=C rate=R peak_db=P
 *   sm-wavcmp maxstep FILE [FROM] largest |x[n] - x[n-1]| over channels
 *                                 from frame FROM on (clicks, gaps)
 *   sm-wavcmp diff A B [--channel C] [--max-db X]
 *       max_abs=.. err_db=..; exit 0 iff identical (or, with --max-db,
 *       iff the error is below X dB). --channel compares channel C of A
 *       with mono B.
 */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *load(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *sf = sf_open(path, SFM_READ, info);
    if (!sf) {
        fprintf(stderr, "sm-wavcmp: %s: %s\n", path, sf_strerror(NULL));
        exit(2);
    }
    size_t n = (size_t)info->frames * (size_t)info->channels;
    float *x = calloc(n ? n : 1, sizeof(float));
    if (!x || sf_readf_float(sf, x, info->frames) != info->frames) {
        fprintf(stderr, "sm-wavcmp: %s: read failed\n", path);
        exit(2);
    }
    sf_close(sf);
    return x;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "info")) {
        SF_INFO in;
        float *x = load(argv[2], &in);
        float pk = 0.0f;
        for (long i = 0; i < (long)in.frames * in.channels; i++)
            pk = fmaxf(pk, fabsf(x[i]));
        printf("frames=%ld channels=%d rate=%d peak_db=%.2f\n",
               (long)in.frames, in.channels, in.samplerate,
               pk > 0 ? 20.0 * log10(pk) : -999.0);
        free(x);
        return 0;
    }
    if ((argc == 3 || argc == 4) && !strcmp(argv[1], "maxstep")) {
        SF_INFO in;
        float *x = load(argv[2], &in);
        long from = argc == 4 ? atol(argv[3]) : 0, at = -1;
        double mx = 0.0;
        for (long i = from > 1 ? from : 1; i < (long)in.frames; i++)
            for (int c = 0; c < in.channels; c++) {
                double d = fabs((double)x[i * in.channels + c] -
                                x[(i - 1) * in.channels + c]);
                if (d > mx) {
                    mx = d;
                    at = i;
                }
            }
        printf("maxstep=%g at=%ld\n", mx, at);
        free(x);
        return 0;
    }
    if (argc >= 4 && !strcmp(argv[1], "diff")) {
        int ch = -1;
        double max_db = 0.0;
        int have_max = 0;
        for (int i = 4; i + 1 < argc; i += 2) {
            if (!strcmp(argv[i], "--channel"))
                ch = atoi(argv[i + 1]);
            else if (!strcmp(argv[i], "--max-db")) {
                max_db = atof(argv[i + 1]);
                have_max = 1;
            }
        }
        SF_INFO ia, ib;
        float *a = load(argv[2], &ia), *b = load(argv[3], &ib);
        int sa = ch >= 0 ? ia.channels : 1, oa = ch >= 0 ? ch : 0;
        int shape_ok = ch >= 0 ? (ia.frames == ib.frames && ib.channels == 1 &&
                                  ch < ia.channels)
                               : (ia.frames == ib.frames &&
                                  ia.channels == ib.channels);
        if (!shape_ok) {
            printf("shape differs: %ldx%d vs %ldx%d\n", (long)ia.frames,
                   ia.channels, (long)ib.frames, ib.channels);
            return 1;
        }
        double num = 0, den = 0, mx = 0;
        long n = ch >= 0 ? (long)ia.frames : (long)ia.frames * ia.channels;
        for (long i = 0; i < n; i++) {
            double d = (double)a[i * sa + oa] - b[i];
            num += d * d;
            den += (double)b[i] * b[i];
            if (fabs(d) > mx)
                mx = fabs(d);
        }
        double db = num > 0 ? 10 * log10(num / (den > 0 ? den : 1e-300))
                            : -999.0;
        printf("max_abs=%g err_db=%.1f\n", mx, db);
        free(a);
        free(b);
        if (have_max)
            return db < max_db ? 0 : 1;
        return mx == 0 ? 0 : 1;
    }
    fprintf(stderr, "usage: sm-wavcmp info FILE | maxstep FILE [FROM] | "
                    "diff A B [--channel C] [--max-db X]\n");
    return 2;
}
