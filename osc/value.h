/* value.h: one OSC argument list -> one parameter value, strictly.
 *
 * The wire gives i, h, f, d, T, F, s and more; the table says what the
 * parameter is. Kept apart from the socket code so that every coercion
 * and every rejection can be tested without a network.
 */
#ifndef SM_OSC_VALUE_H
#define SM_OSC_VALUE_H

#include "specmorph.h"

#include <lo/lo.h>
#include <stddef.h>

/* Converts the arguments of a set message for parameter id: exactly one
 * argument; numbers as i, h, f, d, T (1) or F (0); enums also as their
 * name (s). norm != 0: the argument is a 0..1 position on the parameter's
 * curve (sm_param_from_norm), strings refused. The value must be finite,
 * integral for INT and ENUM, and in range: nothing is clamped.
 * Returns SM_OK and *value, or an error with a one-line reason in why.
 * any thread. */
sm_error sm_osc_value(sm_param id, int norm, const char *types,
                      lo_arg *const *argv, int argc, float *value,
                      char *why, size_t why_len);

#endif
