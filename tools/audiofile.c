/* audiofile.c: see audiofile.h. */
#include "audiofile.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define RD_BLOCK 4096

struct sm_reader {
    SNDFILE *sf;
    SF_INFO info;
    double ratio;        /* out rate / file rate */
    long long out_frames, out_done;
    SRC_STATE *src;
    float *raw;          /* interleaved file frames, RD_BLOCK */
    float *mono;         /* mixed-down input block */
    long mono_len, mono_pos;
    int eof;
};

sm_reader *sm_reader_open(const char *path, int rate_hz, char *why,
                          size_t len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(why, len, "%s: is a directory", path);
        return NULL;
    }
    sm_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(why, len, "%s: out of memory", path);
        return NULL;
    }
    r->sf = sf_open(path, SFM_READ, &r->info);
    if (!r->sf) {
        snprintf(why, len, "%s: not a readable audio file (%s)", path,
                 sf_strerror(NULL));
        free(r);
        return NULL;
    }
    if (r->info.frames <= 0) {
        snprintf(why, len, "%s: zero length (no audio frames)", path);
        sm_reader_close(r);
        return NULL;
    }
    if (r->info.channels < 1 || r->info.samplerate < 1) {
        snprintf(why, len, "%s: invalid channel count or rate", path);
        sm_reader_close(r);
        return NULL;
    }
    int out_rate = rate_hz > 0 ? rate_hz : r->info.samplerate;
    r->ratio = (double)out_rate / r->info.samplerate;
    r->out_frames = llround((double)r->info.frames * r->ratio);
    r->raw = malloc(sizeof(float) * RD_BLOCK * (size_t)r->info.channels);
    r->mono = malloc(sizeof(float) * RD_BLOCK);
    if (!r->raw || !r->mono) {
        snprintf(why, len, "%s: out of memory", path);
        sm_reader_close(r);
        return NULL;
    }
    if (out_rate != r->info.samplerate) {
        int err = 0;
        r->src = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &err);
        if (!r->src) {
            snprintf(why, len, "%s: resampler: %s", path, src_strerror(err));
            sm_reader_close(r);
            return NULL;
        }
    }
    return r;
}

int sm_reader_file_rate(const sm_reader *r) { return r->info.samplerate; }
int sm_reader_channels(const sm_reader *r) { return r->info.channels; }
long long sm_reader_frames(const sm_reader *r) { return r->out_frames; }

void sm_reader_close(sm_reader *r)
{
    if (!r)
        return;
    if (r->sf)
        sf_close(r->sf);
    if (r->src)
        src_delete(r->src);
    free(r->raw);
    free(r->mono);
    free(r);
}

/* Reads the next block of the file mixed down to mono; 0 at the end. */
static long read_mono(sm_reader *r)
{
    int ch = r->info.channels;
    sf_count_t got = sf_readf_float(r->sf, r->raw, RD_BLOCK);
    if (got <= 0)
        return 0;
    for (sf_count_t i = 0; i < got; i++) {
        double s = 0.0;
        for (int c = 0; c < ch; c++)
            s += r->raw[i * ch + c];
        r->mono[i] = (float)(s / ch);
    }
    return (long)got;
}

int sm_reader_read(sm_reader *r, float *out, size_t n, char *why,
                   size_t len)
{
    size_t done = 0;
    while (done < n && r->out_done < r->out_frames) {
        size_t want = n - done;
        if ((long long)want > r->out_frames - r->out_done)
            want = (size_t)(r->out_frames - r->out_done);
        if (!r->src) {
            if (r->mono_pos == r->mono_len) {
                r->mono_len = r->eof ? 0 : read_mono(r);
                r->mono_pos = 0;
                if (r->mono_len == 0) {
                    r->eof = 1;
                    break; /* shorter than announced: pad */
                }
            }
            size_t m = (size_t)(r->mono_len - r->mono_pos);
            if (m > want)
                m = want;
            memcpy(out + done, r->mono + r->mono_pos, m * sizeof(float));
            r->mono_pos += (long)m;
            done += m;
            r->out_done += (long long)m;
            continue;
        }
        if (r->mono_pos == r->mono_len && !r->eof) {
            r->mono_len = read_mono(r);
            r->mono_pos = 0;
            if (r->mono_len == 0)
                r->eof = 1;
        }
        SRC_DATA d = {
            .data_in = r->mono + r->mono_pos,
            .input_frames = r->mono_len - r->mono_pos,
            .data_out = out + done,
            .output_frames = (long)want,
            .end_of_input = r->eof,
            .src_ratio = r->ratio,
        };
        int err = src_process(r->src, &d);
        if (err) {
            snprintf(why, len, "resampler: %s", src_strerror(err));
            return -1;
        }
        r->mono_pos += d.input_frames_used;
        done += (size_t)d.output_frames_gen;
        r->out_done += d.output_frames_gen;
        if (r->eof && d.output_frames_gen == 0)
            break; /* resampler drained: pad the rest */
    }
    if (done < n)
        memset(out + done, 0, (n - done) * sizeof(float));
    /* Past the announced length everything is silence. */
    if (r->out_done >= r->out_frames && done < n)
        r->out_done = r->out_frames;
    return 0;
}

struct sm_writer {
    SNDFILE *sf;
    char *path, *tmp;
    int channels;
};

static int format_for(const char *path, const char *subtype, int *fmt,
                      char *why, size_t len)
{
    const char *dot = strrchr(path, '.');
    const char *ext = dot ? dot + 1 : "";
    int major, sub_default;
    if (!strcasecmp(ext, "wav")) {
        major = SF_FORMAT_WAV;
        sub_default = SF_FORMAT_FLOAT;
    } else if (!strcasecmp(ext, "flac")) {
        major = SF_FORMAT_FLAC;
        sub_default = SF_FORMAT_PCM_24;
    } else if (!strcasecmp(ext, "ogg")) {
        major = SF_FORMAT_OGG;
        sub_default = SF_FORMAT_VORBIS;
    } else if (!strcasecmp(ext, "aif") || !strcasecmp(ext, "aiff")) {
        major = SF_FORMAT_AIFF;
        sub_default = SF_FORMAT_FLOAT;
    } else if (!strcasecmp(ext, "caf")) {
        major = SF_FORMAT_CAF;
        sub_default = SF_FORMAT_FLOAT;
    } else {
        snprintf(why, len, "%s: unknown output type '.%s' (expected .wav, "
                           ".flac, .ogg, .aiff or .caf)", path, ext);
        return -1;
    }
    int sub = sub_default;
    if (subtype) {
        if (!strcmp(subtype, "float"))
            sub = SF_FORMAT_FLOAT;
        else if (!strcmp(subtype, "pcm16"))
            sub = SF_FORMAT_PCM_16;
        else if (!strcmp(subtype, "pcm24"))
            sub = SF_FORMAT_PCM_24;
        else {
            snprintf(why, len, "--format: '%s' (expected float, pcm16 or "
                               "pcm24)", subtype);
            return -1;
        }
    }
    *fmt = major | sub;
    return 0;
}

sm_writer *sm_writer_open(const char *path, int rate_hz, int channels,
                          const char *subtype, char *why, size_t len)
{
    int fmt;
    if (format_for(path, subtype, &fmt, why, len) != 0)
        return NULL;
    SF_INFO info = {.samplerate = rate_hz, .channels = channels,
                    .format = fmt};
    if (!sf_format_check(&info)) {
        snprintf(why, len, "%s: this container cannot hold that sample "
                           "format", path);
        return NULL;
    }
    sm_writer *w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    w->channels = channels;
    w->path = strdup(path);
    w->tmp = malloc(strlen(path) + 24);
    if (!w->path || !w->tmp)
        goto nomem;
    sprintf(w->tmp, "%s.partial.XXXXXX", path);
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        snprintf(why, len, "%s: cannot write here: %s", path,
                 strerror(errno));
        free(w->tmp);
        w->tmp = NULL;
        sm_writer_abort(w);
        return NULL;
    }
    w->sf = sf_open_fd(fd, SFM_WRITE, &info, 1);
    if (!w->sf) {
        snprintf(why, len, "%s: %s", path, sf_strerror(NULL));
        close(fd);
        sm_writer_abort(w);
        return NULL;
    }
    /* The PEAK chunk carries a time stamp: without it, same samples give
     * the same file, byte for byte. */
    sf_command(w->sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    return w;
nomem:
    snprintf(why, len, "%s: out of memory", path);
    sm_writer_abort(w);
    return NULL;
}

const char *sm_writer_temp_path(const sm_writer *w)
{
    return w ? w->tmp : NULL;
}

int sm_writer_write(sm_writer *w, const float *frames, size_t n, char *why,
                    size_t len)
{
    if (sf_writef_float(w->sf, frames, (sf_count_t)n) != (sf_count_t)n) {
        snprintf(why, len, "%s: write failed: %s", w->path,
                 sf_strerror(w->sf));
        return -1;
    }
    return 0;
}

int sm_writer_commit(sm_writer *w, char *why, size_t len)
{
    sf_write_sync(w->sf);
    int rc = sf_close(w->sf);
    w->sf = NULL;
    if (rc != 0) {
        snprintf(why, len, "%s: close failed: %s", w->path, sf_error_number(rc));
        sm_writer_abort(w);
        return -1;
    }
    chmod(w->tmp, 0644);
    if (rename(w->tmp, w->path) != 0) {
        snprintf(why, len, "%s: %s", w->path, strerror(errno));
        sm_writer_abort(w);
        return -1;
    }
    free(w->tmp);
    w->tmp = NULL;
    sm_writer_abort(w); /* frees; nothing left to remove */
    return 0;
}

void sm_writer_abort(sm_writer *w)
{
    if (!w)
        return;
    if (w->sf)
        sf_close(w->sf);
    if (w->tmp) {
        unlink(w->tmp);
        free(w->tmp);
    }
    free(w->path);
    free(w);
}
