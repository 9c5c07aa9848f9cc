/* modulate.h: the mask modulators of one band (DESIGN.md section 3, step
 * 4): transient, tonality and local-SNR analyses of the two sources'
 * spectra, each run only while its amount is above 0, handed to the merge
 * as an sm_mod_frame (merge.h), which applies them to the mask.
 *
 *   transient  SuperFlux onsets per source (superflux.h) -> envelopes;
 *              an attack of one source pulls the bins the other holds
 *              toward the morph balance (0.5 at the centre position).
 *   tonality   spectral flatness of the merged powers (flatness.h); the
 *              mask is smoothed across frequency by amount x flatness.
 *   snr        minimum-statistics noise floor per source (minstat.h); the
 *              mask odds are multiplied by the ratio of the sources' SNR
 *              gains, faded in over the tracker's first window.
 *
 * A modulator whose amount reaches 0 stops its analysis; when it comes
 * back its analysis starts afresh (no onset from a stale history; the
 * noise tracker needs a window to settle, which the fade-in covers). With
 * every amount 0 the merge runs its plain loop, bit for bit as without
 * this stage.
 */
#ifndef SM_MODULATE_H
#define SM_MODULATE_H

#include "merge.h"
#include "specmorph.h"

typedef struct sm_mod sm_mod;

/* For a band's STFT (window, hop at fs_hz); snr_window_ms sizes the noise
 * tracker (its bias is calibrated here, once for both sources). NRT
 * only. */
sm_mod *sm_mod_new(int window, int hop, double fs_hz, float snr_window_ms,
                   sm_error *err);
/* NRT only. */
void sm_mod_free(sm_mod *m);

/* Clears all analysis state. RT-safe. */
void sm_mod_reset(sm_mod *m);

/* Decay of the transient envelope, ms. RT-safe. */
void sm_mod_set_transient_ms(sm_mod *m, float ms);

/* Runs the analyses whose amount (0..1, smoothed) is above 0 on the
 * frame's source spectra a and b (unscaled) at morph position pos, and
 * returns the modulation for sm_merge_frame.mod, or NULL when every
 * amount is 0. The result stays valid until the next call. RT-safe. */
const sm_mod_frame *sm_mod_analyze(sm_mod *m, const sm_cpx *a,
                                   const sm_cpx *b, float pos,
                                   float transient, float tonality,
                                   float snr);

#endif
