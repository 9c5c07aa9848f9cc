/* testutil.h: small helpers shared by the unit tests: deterministic
 * signals, error measures and running an engine over a whole buffer. */
#ifndef SM_TESTUTIL_H
#define SM_TESTUTIL_H

#include "specmorph.h"

#include <stddef.h>
#include <stdint.h>

/* Deterministic white noise in [-amp, amp) (xorshift32). */
void tu_noise(float *x, size_t n, float amp, uint32_t seed);

/* Sum of sines (freqs in Hz, amps linear) at fs. */
void tu_sines(float *x, size_t n, double fs, const double *freq_hz,
              const double *amp, int count);

/* 10*log10(sum (a-b)^2 / sum b^2); -inf-safe (returns -400 for 0). */
double tu_err_db(const float *a, const float *b, size_t n);

/* Energy sum x^2 in double. */
double tu_energy(const float *x, size_t n);

/* Runs a fresh engine built from cfg over a and b (n samples each) in
 * blocks of `block` samples, feeding latency + n samples in total (zeros
 * after the input), and returns l and r trimmed by the latency (n samples
 * each, malloc'd). Fails the test on any error. */
void tu_render(const sm_config *cfg, const float *a, const float *b,
               size_t n, size_t block, float **l, float **r);

/* malloc that fails the test instead of returning NULL. */
float *tu_alloc(size_t n);

/* Speech-like signal (the shape of sm-gen's "voice"): a glottal pulse
 * train with vibrato and intonation through three formant resonators,
 * vowels changing every 220 ms syllable under a sin^2 envelope, every
 * sixth syllable an unvoiced fricative (noise). Peak around 0.3. */
void tu_voice(float *x, size_t n, double fs, uint32_t seed);

/* a = x and b = x delayed by delay_samples (any real number; negative
 * advances), both band-limited: the delay is a phase ramp on the DFT of
 * the whole buffer (circular, so keep silence at the ends longer than the
 * delay), and the Nyquist bin is removed from both. */
void tu_delay_exact(const float *x, float *a, float *b, size_t n,
                    double delay_samples);

/* Envelope of the part of x between f_lo and f_hi (Hz; 0 .. fs/2; with
 * smooth skirts out to f_lo / 1.25 and 1.25 f_hi), as the magnitude of its
 * analytic signal (one FFT of the whole buffer, so keep x quiet at both
 * ends), divided by amp, in dB: the lowest and the highest value over
 * x[from .. to). For a tone through a filter that should pass it at
 * constant amplitude. */
void tu_envelope_db(const float *x, size_t n, double fs, double f_lo,
                    double f_hi, double amp, size_t from, size_t to,
                    double *min_db, double *max_db);

#endif
