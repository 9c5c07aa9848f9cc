/* merge.h: the CPU loop that turns two source spectra into the stereo
 * merged spectra of one frame, by calling the per-bin kernels. */
#ifndef SM_MERGE_H
#define SM_MERGE_H

#include "kernels.h"

typedef struct sm_merge_frame {
    const sm_cpx *a, *b; /* source spectra, bins */
    sm_cpx *l, *r;       /* merged output, bins (r unused when !stereo) */
    float *psd_a, *psd_b; /* smoothed powers (state), bins */
    int bins;
    int mask_type;       /* SM_MASK_* */
    float pos, k, width;
    float psd_alpha;     /* power smoothing per frame; 0 = instantaneous */
    int stereo;          /* 0: width is 0, only l is written */
} sm_merge_frame;

/* RT-safe. */
void sm_merge_frame_cpu(const sm_merge_frame *f);

#endif
