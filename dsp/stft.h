/* stft.h: one streaming STFT channel pair (analysis + synthesis) of a
 * fixed window/hop, on FFTW3 single precision.
 *
 * Analysis uses a periodic Hann window; synthesis uses its canonical dual
 * window (w / sum_k w^2(n - kH)), so analysis followed by synthesis and
 * overlap-add reconstructs the input exactly for any hop up to N/2, and a
 * modified spectrum is resynthesised in the least-squares sense (what the
 * phase methods of later stages assume). Plans are made once with
 * FFTW_ESTIMATE and executed on caller arrays (new-array execute).
 */
#ifndef SM_STFT_H
#define SM_STFT_H

#include "kernels.h"
#include "specmorph.h"

typedef struct sm_stft sm_stft;

/* NRT only. window even, 2 <= window/hop. */
sm_stft *sm_stft_new(int window, int hop, sm_error *err);
void sm_stft_free(sm_stft *s);

int sm_stft_bins(const sm_stft *s); /* window/2 + 1 */

/* Windowed forward transform of frame[0..window) into spec[0..bins).
 * spec must come from sm_stft_alloc_spec(). RT-safe. */
void sm_stft_analyze(sm_stft *s, const float *frame, sm_cpx *spec);

/* Inverse transform of spec (destroyed), synthesis window, added into
 * ola[0..window). RT-safe. */
void sm_stft_synth_add(sm_stft *s, sm_cpx *spec, float *ola);

/* Aligned buffers suitable for the plans. NRT only. Free with
 * sm_stft_free_buf(). */
sm_cpx *sm_stft_alloc_spec(const sm_stft *s);
float *sm_stft_alloc_real(size_t n);
void sm_stft_free_buf(void *p);

/* Makes the FFTW planner safe to call from several threads once per
 * process. NRT only; any number of calls. */
void sm_fftw_init(void);

#endif
