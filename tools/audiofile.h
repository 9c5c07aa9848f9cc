/* audiofile.h: the renderer's file I/O: any libsndfile input as a mono
 * stream at the engine rate (mixdown, libsamplerate, silence after the
 * end), and an output written to a temporary file that only replaces the
 * target path once it is complete. */
#ifndef SM_AUDIOFILE_H
#define SM_AUDIOFILE_H

#include <stddef.h>

typedef struct sm_reader sm_reader;

/* Opens path. rate_hz 0 keeps the file's rate. On failure returns NULL
 * with a one-line reason (missing file, not audio, zero length). */
sm_reader *sm_reader_open(const char *path, int rate_hz, char *why,
                          size_t why_len);
int sm_reader_file_rate(const sm_reader *r);
int sm_reader_channels(const sm_reader *r);
/* Length at the output rate, in frames. */
long long sm_reader_frames(const sm_reader *r);
/* Fills n mono samples; zeros after the end. Returns -1 on a read or
 * resampling error (reason in why), else 0. */
int sm_reader_read(sm_reader *r, float *out, size_t n, char *why,
                   size_t why_len);
void sm_reader_close(sm_reader *r);

typedef struct sm_writer sm_writer;

/* subtype: "float", "pcm16", "pcm24" or NULL for the container's default
 * (float for WAV/AIFF/CAF, pcm24 for FLAC). The container comes from the
 * extension (.wav .flac .ogg .aif/.aiff .caf). */
sm_writer *sm_writer_open(const char *path, int rate_hz, int channels,
                          const char *subtype, char *why, size_t why_len);
/* Interleaved frames. Returns 0 or -1 with a reason. */
int sm_writer_write(sm_writer *w, const float *frames, size_t n, char *why,
                    size_t why_len);
/* Completes and renames into place; returns 0 or -1 with a reason. */
int sm_writer_commit(sm_writer *w, char *why, size_t why_len);
/* Removes the temporary file. Safe on NULL. */
void sm_writer_abort(sm_writer *w);
/* Path of the temporary file (for a signal handler to unlink). */
const char *sm_writer_temp_path(const sm_writer *w);

#endif
