/* fpu.h: flush denormals to zero for the duration of a processing call.
 *
 * Recursive filters and decaying overlap-add tails produce denormals that
 * cost up to 100x per operation on x86; FTZ/DAZ makes them zero. The
 * previous mode is restored so the host thread is left as it was.
 */
#ifndef SM_FPU_H
#define SM_FPU_H

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
typedef unsigned int sm_fpu_state;
static inline sm_fpu_state sm_fpu_enter(void)
{
    unsigned int old = _mm_getcsr();
    _mm_setcsr(old | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
}
static inline void sm_fpu_leave(sm_fpu_state s) { _mm_setcsr(s); }
#elif defined(__aarch64__)
typedef unsigned long sm_fpu_state;
static inline sm_fpu_state sm_fpu_enter(void)
{
    unsigned long old;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(old));
    __asm__ __volatile__("msr fpcr, %0" ::"r"(old | (1ul << 24)));
    return old;
}
static inline void sm_fpu_leave(sm_fpu_state s)
{
    __asm__ __volatile__("msr fpcr, %0" ::"r"(s));
}
#else
typedef int sm_fpu_state;
static inline sm_fpu_state sm_fpu_enter(void) { return 0; }
static inline void sm_fpu_leave(sm_fpu_state s) { (void)s; }
#endif

#endif
