/* gen.c: sm-gen, deterministic test and demo signals.
 *
 * The demo, the benchmark and the tests need material that exercises the
 * merge (voiced speech-like pulses with formants, a harmonic pad, drums,
 * noise, a sweep) without shipping recordings. Same arguments, same
 * samples, on every machine.
 *
 *   sm-gen KIND SECONDS OUT.wav [--rate HZ] [--seed N]
 *   KIND: voice | pad | drums | noise | sweep | tone (220 Hz sine)
 */
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rng {
    uint32_t s;
} rng;

static float rnd(rng *r) /* [-1, 1) */
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 17;
    r->s ^= r->s << 5;
    return (float)(r->s >> 8) / 8388608.0f - 1.0f;
}

/* Two-pole resonator (constant peak gain) for formants. */
typedef struct reson {
    double a1, a2, b0, y1, y2;
} reson;

static void reson_set(reson *f, double fc, double bw, double fs)
{
    double r = exp(-M_PI * bw / fs);
    f->a1 = -2.0 * r * cos(2.0 * M_PI * fc / fs);
    f->a2 = r * r;
    f->b0 = (1.0 - r * r) * 0.5;
}

static double reson_tick(reson *f, double x)
{
    double y = f->b0 * x - f->a1 * f->y1 - f->a2 * f->y2;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

static void gen_voice(float *x, long n, double fs, rng *r)
{
    /* Vowel formants (F1, F2, F3) of a, e, i, o, u. */
    static const double fm[5][3] = {{730, 1090, 2440}, {530, 1840, 2480},
                                    {270, 2290, 3010}, {570, 840, 2410},
                                    {300, 870, 2240}};
    reson f[3] = {{0}};
    double phase = 0.0;
    long syl = (long)(0.22 * fs);
    for (long i = 0; i < n; i++) {
        long k = i / syl;
        double t = (double)(i % syl) / (double)syl;
        int v = (int)((k * 7 + 3) % 5);
        if (i % syl == 0)
            for (int j = 0; j < 3; j++)
                reson_set(&f[j], fm[v][j], 60.0 + 40.0 * j, fs);
        double f0 = 110.0 + 40.0 * sin(2.0 * M_PI * 0.3 * i / fs) +
                    15.0 * sin(2.0 * M_PI * 5.5 * i / fs) +
                    20.0 * (double)((k * 5) % 3);
        phase += f0 / fs;
        double src = 0.0;
        if (phase >= 1.0) {
            phase -= 1.0;
            src = 1.0; /* glottal pulse */
        }
        int voiced = (k % 6) != 5;
        if (!voiced)
            src = 0.3 * rnd(r); /* a fricative syllable */
        double env = sin(M_PI * t);
        env *= env;
        double y = 0.0;
        for (int j = 0; j < 3; j++)
            y += reson_tick(&f[j], src) / (1.0 + j);
        x[i] = (float)(env * y);
    }
}

static void gen_pad(float *x, long n, double fs, rng *r)
{
    static const double chord[4] = {110.0, 164.81, 220.0, 261.63};
    double lp = 0.0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / fs;
        double v = 0.0;
        for (int c = 0; c < 4; c++)
            for (int h = 1; h <= 8; h++) {
                double det = 1.0 + 0.002 * (c - 1.5) * sin(0.1 * t + h);
                v += sin(2.0 * M_PI * chord[c] * h * det * t + c + h) /
                     (h * h * 0.5 + 0.5);
            }
        lp += 0.05 * (rnd(r) - lp);
        double lfo = 0.7 + 0.3 * sin(2.0 * M_PI * 0.2 * t);
        x[i] = (float)(lfo * (0.1 * v + 0.5 * lp));
    }
}

static void gen_drums(float *x, long n, double fs, rng *r)
{
    long beat = (long)(0.5 * fs), eighth = beat / 2;
    double hp_prev = 0.0, kph = 0.0;
    for (long i = 0; i < n; i++) {
        double tk = (double)(i % beat) / fs;        /* kick every beat */
        double ts = (double)((i + beat / 2) % (2 * beat)) / fs; /* snare */
        double th = (double)(i % eighth) / fs;      /* hat every eighth */
        double fk = 50.0 + 100.0 * exp(-tk * 30.0);
        kph += fk / fs;
        double kick = sin(2.0 * M_PI * kph) * exp(-tk * 8.0);
        double nz = rnd(r);
        double snare = (0.6 * nz + 0.4 * sin(2.0 * M_PI * 190.0 * ts)) *
                       exp(-ts * 18.0) * (ts < 0.4 * 2 ? 1.0 : 0.0);
        double hp = nz - hp_prev; /* crude high-pass for the hat */
        hp_prev = nz;
        double hat = 0.3 * hp * exp(-th * 60.0);
        x[i] = (float)(0.8 * kick + 0.5 * snare + hat);
    }
}

static void gen_noise(float *x, long n, rng *r)
{
    for (long i = 0; i < n; i++)
        x[i] = rnd(r);
}

static void gen_sweep(float *x, long n, double fs, rng *r)
{
    double f1 = 20.0, f2 = fmin(20000.0, 0.45 * fs);
    double T = (double)n / fs, k = log(f2 / f1);
    for (long i = 0; i < n; i++) {
        double t = (double)i / fs;
        double ph = 2.0 * M_PI * f1 * T / k * (exp(t / T * k) - 1.0);
        x[i] = (float)(sin(ph) + 0.03 * rnd(r));
    }
}

static void gen_tone(float *x, long n, double fs)
{
    for (long i = 0; i < n; i++)
        x[i] = (float)sin(2.0 * M_PI * 220.0 * (double)i / fs);
}

static void usage(void)
{
    fprintf(stderr, "usage: sm-gen voice|pad|drums|noise|sweep|tone SECONDS "
                    "OUT.wav [--rate HZ] [--seed N]\n");
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        usage();
        return 2;
    }
    const char *kind = argv[1], *out = argv[3];
    double secs = atof(argv[2]);
    int rate = 48000;
    uint32_t seed = 12345;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = (uint32_t)strtoul(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (!(secs > 0.0) || secs > 36000.0 || rate < 8000 || rate > 384000) {
        fprintf(stderr, "sm-gen: seconds must be in (0, 36000], rate in "
                        "8000..384000\n");
        return 2;
    }
    long n = (long)llround(secs * rate);
    float *x = calloc((size_t)n, sizeof(float));
    if (!x) {
        fprintf(stderr, "sm-gen: out of memory\n");
        return 1;
    }
    rng r = {seed ? seed : 1u};
    if (!strcmp(kind, "voice"))
        gen_voice(x, n, rate, &r);
    else if (!strcmp(kind, "pad"))
        gen_pad(x, n, rate, &r);
    else if (!strcmp(kind, "drums"))
        gen_drums(x, n, rate, &r);
    else if (!strcmp(kind, "noise"))
        gen_noise(x, n, &r);
    else if (!strcmp(kind, "sweep"))
        gen_sweep(x, n, rate, &r);
    else if (!strcmp(kind, "tone"))
        gen_tone(x, n, rate);
    else {
        usage();
        free(x);
        return 2;
    }
    float pk = 0.0f;
    for (long i = 0; i < n; i++)
        pk = fmaxf(pk, fabsf(x[i]));
    float g = pk > 0.0f ? 0.5f / pk : 1.0f; /* peak at -6 dBFS */
    for (long i = 0; i < n; i++)
        x[i] *= g;
    SF_INFO info = {.samplerate = rate, .channels = 1,
                    .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(out, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "sm-gen: %s: %s\n", out, sf_strerror(NULL));
        free(x);
        return 2;
    }
    int ok = sf_writef_float(sf, x, n) == n;
    ok &= sf_close(sf) == 0;
    free(x);
    if (!ok) {
        fprintf(stderr, "sm-gen: %s: write failed\n", out);
        remove(out);
        return 1;
    }
    return 0;
}
