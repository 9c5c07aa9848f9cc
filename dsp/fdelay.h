/* fdelay.h: fractional delay line (windowed-sinc interpolation) over a
 * history ring, for the alignment stage.
 *
 * The alignment stage delays the leading input by a lag that is a
 * fraction of a sample and glides sample by sample, so the line reads
 * between samples with a 32-tap Kaiser-windowed sinc: within -80 dB of an
 * ideal delay up to 0.83 x Nyquist (20 kHz at 48 kHz), taken from a
 * table of 512 phases with linear interpolation between phases. Each
 * phase is normalised to unit DC gain, and the kernel is a continuous
 * function of the delay with zero taps at its edges, so a gliding delay
 * never steps the output.
 *
 * No look-ahead: the undelayed input must pass with zero latency, so a
 * delay under 16 samples drops the kernel's taps that would need future
 * samples (and renormalises). Whole-sample delays are then still exact,
 * fractional ones approximate (at 48 kHz, a 0.5-sample delay is -1.4 dB
 * at 12 kHz; from 8 samples on, within 0.1 dB to 20 kHz).
 *
 * The ring also keeps the raw history the lag estimator reads
 * (sm_fdelay_copy).
 */
#ifndef SM_FDELAY_H
#define SM_FDELAY_H

#include <stddef.h>

#define SM_FDELAY_HALF 16    /* kernel half-length: 2 x 16 taps */
#define SM_FDELAY_PHASES 512 /* table rows per sample (+1) */

/* The interpolation table: (SM_FDELAY_PHASES + 1) rows of 2 x HALF taps;
 * row p is the kernel for a fractional delay p / PHASES. */
typedef struct sm_fdelay_kernel {
    float *tab;
} sm_fdelay_kernel;

typedef struct sm_fdelay {
    float *ring;
    size_t mask;         /* ring length - 1 (a power of two) */
    unsigned long long w; /* samples pushed */
    double max_delay;    /* longest delay read, samples */
} sm_fdelay;

/* NRT only. Returns 0, or -1 when out of memory. */
int sm_fdelay_kernel_init(sm_fdelay_kernel *k);
void sm_fdelay_kernel_free(sm_fdelay_kernel *k);

/* A line for delays up to max_delay samples that also keeps at least
 * history samples of input. NRT only. Returns 0, or -1 when out of
 * memory. */
int sm_fdelay_init(sm_fdelay *d, double max_delay, size_t history);
void sm_fdelay_free(sm_fdelay *d);

/* Clears the history. RT-safe. */
void sm_fdelay_reset(sm_fdelay *d);

/* Appends one input sample. RT-safe. */
static inline void sm_fdelay_push(sm_fdelay *d, float x)
{
    d->ring[d->w & d->mask] = x;
    d->w++;
}

/* The input delay samples before the newest one pushed (0 = the newest),
 * delay clamped to 0 .. max_delay. Samples before the first push read as
 * silence. RT-safe. */
float sm_fdelay_read(const sm_fdelay *d, const sm_fdelay_kernel *k,
                     double delay);

/* In place over x[0..n): pushes each sample and replaces it by the input
 * delay samples before it, for a delay that does not change (the kernel
 * is computed once). The same samples as sm_fdelay_push then
 * sm_fdelay_read per sample, bit for bit. RT-safe. */
void sm_fdelay_run(sm_fdelay *d, const sm_fdelay_kernel *k, float *x,
                   size_t n, double delay);

/* Copies the n input samples that end `ago` samples before the newest
 * (ago = 0: the last is the newest), oldest first. n + ago must not
 * exceed the history the line was made for. RT-safe. */
void sm_fdelay_copy(const sm_fdelay *d, float *dst, size_t n, size_t ago);

#endif
