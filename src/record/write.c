/* Writing records: sealing into the write buffer, where records queue until keel_rl_flush hands them
 * to the BIO (RFC 8446 §5.1-§5.2, RFC 5246 §6.2), or, for SSL_write over an idle BIO pair, straight
 * into the pair's ring (keel_rl_seal_send). */
#include "record/record_int.h"

#include "common/proto.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

/* One full-size record in any state: the buffer is allocated once at this size and grows only when
 * several records queue up before a flush. */
#define WBUF_MIN (KEEL_RL_HEADER_LEN + KEEL_MAX_PLAINTEXT + KEEL_RL_MAX_OVERHEAD)

void keel_rl_release_wbuf(keel_rl *rl)
{
    if (rl->woff == rl->wlen) {
        rl->woff = rl->wlen = 0;
        if (rl->release_buffers && rl->wbuf != NULL) {
            keel_rl_buf_free(rl->wbuf);
            rl->wbuf = NULL;
            rl->wcap = 0;
        }
    }
}

/* Makes room for `need` more bytes after wlen. Already-flushed bytes are reclaimed first; a failed
 * growth leaves the queued records intact. */
static int reserve(keel_rl *rl, size_t need)
{
    uint8_t *p;
    size_t cap;

    if (rl->woff == rl->wlen)
        rl->woff = rl->wlen = 0;
    if (rl->wcap - rl->wlen >= need)
        return 1;
    if (rl->woff > 0) {
        memmove(rl->wbuf, rl->wbuf + rl->woff, rl->wlen - rl->woff);
        rl->wlen -= rl->woff;
        rl->woff = 0;
        if (rl->wcap - rl->wlen >= need)
            return 1;
    }
    cap = rl->wcap > 0 ? (size_t)rl->wcap * 2 : WBUF_MIN;
    if (cap < rl->wlen + need || cap > UINT32_MAX)
        cap = rl->wlen + need;
    /* wcap, woff and wlen are uint32_t (record.h): a queue of unflushed records past 4 GiB is
     * refused as a failed allocation would be. */
    if (cap > UINT32_MAX) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return 0;
    }
    /* A new aligned buffer rather than a realloc, which would not keep the alignment; growing
     * happens only when records queue up unflushed. */
    if ((p = keel_rl_buf_alloc(cap)) == NULL)
        return 0;
    if (rl->wlen > 0)
        memcpy(p, rl->wbuf, rl->wlen);
    keel_rl_buf_free(rl->wbuf);
    rl->wbuf = p;
    rl->wcap = (uint32_t)cap;
    return 1;
}

int keel_rl_seal(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len)
{
    return keel_rl_seal_pad(rl, type, data, len, 0);
}

/* The room a record may be sealed into inside wbio itself (BIO_s_bio(3), "Non-copying Interface"):
 * wbio is a BIO pair half that nobody watches (a program with a BIO callback must still see
 * BIO_write) and whose ring offers `need` contiguous bytes; else NULL. The write guarantee is asked
 * first so that a closed or unpaired half puts no error on the stack (BIO_nwrite0 would). */
static uint8_t *pair_room(BIO *wbio, size_t need)
{
    char *room;

    if (!keel_rl_pair_unwatched(wbio) || need > INT_MAX
            || BIO_ctrl_get_write_guarantee(wbio) < need || BIO_nwrite0(wbio, &room) < (int)need)
        return NULL;
    return (uint8_t *)room;
}

/* Seals one record into the write buffer or, with wbio given and nothing queued before it, into
 * wbio's pair ring (pair_room), committed there at once. Either way the record leaves in this file,
 * in order: a record goes to the ring only when nothing sealed earlier waits for keel_rl_flush. */
static int seal(keel_rl *rl, BIO *wbio, uint8_t type, const uint8_t *data, size_t len, size_t pad,
                int *sent)
{
    uint16_t version;
    size_t n, need;
    uint8_t *out = NULL;
    char *room;

    *sent = 0;
    /* The callers split data into fragments; these are their bugs, not the peer's. */
    if (type < KEEL_CT_CHANGE_CIPHER_SPEC || type > KEEL_CT_APPLICATION_DATA
            || (data == NULL && len > 0)) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    if (len > KEEL_MAX_PLAINTEXT) {
        ERR_raise(ERR_LIB_SSL, SSL_R_DATA_LENGTH_TOO_LONG);
        return 0;
    }
    /* RFC 8446 §5.1 / RFC 5246 §6.2.1: only application data may travel in an empty record. */
    if (len == 0 && type != KEEL_CT_APPLICATION_DATA) {
        ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
        return 0;
    }
    /* RFC 8446 §5.4: padding only inside TLS 1.3 protection, and the whole TLSInnerPlaintext at
     * most 2^14 + 1 bytes. */
    if (!keel_rl_is_protected(&rl->wr, type) || rl->wr.prot != KEEL_RL_PROT_TLS13)
        pad = 0;
    else if (pad > KEEL_MAX_PLAINTEXT - len)
        pad = KEEL_MAX_PLAINTEXT - len;
    need = KEEL_RL_HEADER_LEN + len + pad + KEEL_RL_MAX_OVERHEAD;
    if (rl->woff == rl->wlen)
        out = pair_room(wbio, need);
    if (out == NULL) {
        if (!reserve(rl, need))
            return 0;
        out = rl->wbuf + rl->wlen;
    }
    /* RFC 8446 §5.1: under TLS 1.3 every record after the first ClientHello says 0x0303. */
    version = rl->wr.prot == KEEL_RL_PROT_TLS13 ? KEEL_VERSION_TLS12 : rl->version;
    /* Alerts in plaintext while the one-shot allowance's writing twin is armed (record.h). */
    keel_rl_dir plain;
    keel_rl_dir *d = &rl->wr;
    if (rl->plain_alerts_out && type == KEEL_CT_ALERT) {
        memset(&plain, 0, sizeof(plain));
        plain.prot = KEEL_RL_PROT_NONE;
        d = &plain;
        pad = 0;
    }
    if (!keel_rl_seal_record(d, type, version, data, len, pad, out, &n)) {
        keel_rl_release_wbuf(rl);
        return 0;
    }
    if (out != rl->wbuf + rl->wlen) {
        /* The room BIO_nwrite0 offered holds n <= need bytes: the commit takes them all. The bytes
         * are in the ring before the trace reports them; nothing can write over them there. */
        if (BIO_nwrite(wbio, &room, (int)n) != (int)n || (uint8_t *)room != out) {
            ERR_raise(ERR_LIB_SSL, ERR_R_INTERNAL_ERROR);
            return 0;
        }
        *sent = 1;
    } else {
        rl->wlen += (uint32_t)n;
    }
    if (rl->trace != NULL)
        rl->trace(rl->trace_arg, 1, out,
                  d->prot == KEEL_RL_PROT_TLS13 && keel_rl_is_protected(d, type) ? &type : NULL);
    return 1;
}

int keel_rl_seal_pad(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len, size_t pad)
{
    int sent;

    return seal(rl, NULL, type, data, len, pad, &sent);
}

int keel_rl_seal_send(keel_rl *rl, BIO *wbio, uint8_t type, const uint8_t *data, size_t len,
                      size_t pad, int *sent)
{
    return seal(rl, wbio, type, data, len, pad, sent);
}

int keel_rl_flush(keel_rl *rl, BIO *wbio)
{
    while (rl->woff < rl->wlen) {
        size_t left = rl->wlen - rl->woff;
        int n;

        if (wbio == NULL) {
            ERR_raise(ERR_LIB_SSL, SSL_R_BIO_NOT_SET);
            return KEEL_RL_ERROR;
        }
        n = BIO_write(wbio, rl->wbuf + rl->woff, left > INT_MAX ? INT_MAX : (int)left);
        if (n <= 0)
            return BIO_should_retry(wbio) ? KEEL_RL_RETRY : KEEL_RL_ERROR;
        rl->woff += (uint32_t)n;
    }
    keel_rl_release_wbuf(rl);
    return KEEL_RL_OK;
}

size_t keel_rl_unflushed(const keel_rl *rl)
{
    return rl->wlen - rl->woff;
}
