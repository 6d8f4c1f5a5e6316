/* The corpus recorder's parts (recorder.c, recorder_records.c, recorder_sessions.c). */
#ifndef KEEL_FUZZ_RECORDER_H
#define KEEL_FUZZ_RECORDER_H

#include "transcript.h"

/* Writes p1 || p2 as <corpus dir>/<dir>/<name> (skipped, with a note, if 20 KiB or more). */
void keel_fuzz_save(const char *dir, const char *name, const uint8_t *p1, size_t n1,
                    const uint8_t *p2, size_t n2);
/* record/: the record harness's seeds. */
void keel_fuzz_records(void);
/* sessions/: the sessions harness's seeds. */
void keel_fuzz_sessions(void);

#endif
