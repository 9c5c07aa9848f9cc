<CsoundSynthesizer>
; morph.csd: the reference phase-vocoder morph that tools/bench.sh times
; against specmorph-render. Two mono files in, one mono float WAV out:
;
;   diskin2 -> pvsanal (2048 FFT, 512 hop, 2048 window, Hann) --.
;   diskin2 -> pvsanal (same) ----------------------------------+-> pvsmorph
;              (amplitude 0.5, frequency 0.5) -> pvsynth -> out
;
; bench.sh supplies the paths and the length on the command line:
;   csound -d -m0 --omacro:SRCA='"a.wav"' --omacro:SRCB='"b.wav"' \
;          --smacro:DUR=60 -o out.wav tools/bench/morph.csd
; The macros default below so the file also runs by hand from a directory
; holding a.wav and b.wav. sr must equal the files' rate (diskin2 would
; otherwise resample, which is extra work the other chains do not do).
<CsOptions>
-d -m0 -W -f -+rtaudio=null -+rtmidi=null -+msg_color=0
</CsOptions>
<CsInstruments>
sr     = 48000
ksmps  = 64
nchnls = 1
0dbfs  = 1

#ifndef SRCA
#define SRCA #"a.wav"#
#end
#ifndef SRCB
#define SRCB #"b.wav"#
#end

instr 1
  aA     diskin2  $SRCA, 1
  aB     diskin2  $SRCB, 1
  ; pvsanal ain, ifftsize, ioverlap (= hop), iwinsize, iwintype (1 = Hann)
  fA     pvsanal  aA, 2048, 512, 2048, 1
  fB     pvsanal  aB, 2048, 512, 2048, 1
  ; pvsmorph fsig1, fsig2, kampint, kfrqint (0 = fsig1, 1 = fsig2)
  fM     pvsmorph fA, fB, 0.5, 0.5
  aM     pvsynth  fM
         out      aM
endin
</CsInstruments>
<CsScore>
#ifndef DUR
#define DUR #60#
#end
i1 0 $DUR
e
</CsScore>
</CsoundSynthesizer>
