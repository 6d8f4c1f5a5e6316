/* Writing records: sealing into the write buffer, where records queue until keel_rl_flush hands them
 * to the BIO (RFC 8446 §5.1-§5.2, RFC 5246 §6.2). */
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
    cap = rl->wcap > 0 ? rl->wcap * 2 : WBUF_MIN;
    if (cap < rl->wlen + need)
        cap = rl->wlen + need;
    /* A new aligned buffer rather than a realloc, which would not keep the alignment; growing
     * happens only when records queue up unflushed. */
    if ((p = keel_rl_buf_alloc(cap)) == NULL)
        return 0;
    if (rl->wlen > 0)
        memcpy(p, rl->wbuf, rl->wlen);
    keel_rl_buf_free(rl->wbuf);
    rl->wbuf = p;
    rl->wcap = cap;
    return 1;
}

int keel_rl_seal(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len)
{
    return keel_rl_seal_pad(rl, type, data, len, 0);
}

int keel_rl_seal_pad(keel_rl *rl, uint8_t type, const uint8_t *data, size_t len, size_t pad)
{
    uint16_t version;
    size_t n;

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
    if (!reserve(rl, KEEL_RL_HEADER_LEN + len + pad + KEEL_RL_MAX_OVERHEAD))
        return 0;
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
    if (!keel_rl_seal_record(d, type, version, data, len, pad, rl->wbuf + rl->wlen, &n)) {
        keel_rl_release_wbuf(rl);
        return 0;
    }
    if (rl->trace != NULL)
        rl->trace(rl->trace_arg, 1, rl->wbuf + rl->wlen,
                  d->prot == KEEL_RL_PROT_TLS13 && keel_rl_is_protected(d, type) ? &type : NULL);
    rl->wlen += n;
    return 1;
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
        rl->woff += (size_t)n;
    }
    keel_rl_release_wbuf(rl);
    return KEEL_RL_OK;
}

size_t keel_rl_unflushed(const keel_rl *rl)
{
    return rl->wlen - rl->woff;
}
