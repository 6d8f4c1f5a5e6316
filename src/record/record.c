/* Record engine lifetime and key installation (RFC 8446 §5.2-§5.3, RFC 5246 §6.1). */
#define OPENSSL_SUPPRESS_DEPRECATED /* BIO_get_callback: deprecated, still what a program may set */
#include "record/record_int.h"

#include "common/proto.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sslerr.h>
#include <string.h>

int keel_rl_pair_unwatched(BIO *b)
{
    return b != NULL && BIO_method_type(b) == BIO_TYPE_BIO && BIO_get_callback_ex(b) == NULL
        && BIO_get_callback(b) == NULL;
}

static void dir_init(keel_rl_dir *d)
{
    memset(d, 0, sizeof(*d));
    d->prot = KEEL_RL_PROT_NONE;
}

static void dir_cleanup(keel_rl_dir *d)
{
    keel_aead_free(d->aead);   /* the EVP context cleanses its key schedule */
    keel_cbc_free(d->cbc);
    OPENSSL_cleanse(d->iv, sizeof(d->iv));
    dir_init(d);
}

int keel_rl_init(keel_rl *rl, const keel_algs *algs)
{
    memset(rl, 0, sizeof(*rl));
    dir_init(&rl->rd);
    dir_init(&rl->wr);
    rl->version = KEEL_VERSION_TLS12;
    rl->algs = algs;
    if (algs == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
        return 0;
    }
    return 1;
}

/* The allocation is 1 to KEEL_RL_BUF_ALIGN bytes longer in front; the byte before the buffer
 * says how many, for keel_rl_buf_free (no pointer to keep beside each buffer). */
uint8_t *keel_rl_buf_alloc(size_t cap)
{
    uint8_t *p;
    size_t skip;

    if ((p = OPENSSL_malloc(cap + KEEL_RL_BUF_ALIGN)) == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_MALLOC_FAILURE);
        return NULL;
    }
    skip = KEEL_RL_BUF_ALIGN - ((uintptr_t)p + KEEL_RL_HEADER_LEN) % KEEL_RL_BUF_ALIGN;   /* 1..64 */
    p[skip - 1] = (uint8_t)skip;
    return p + skip;
}

void keel_rl_buf_free(uint8_t *buf)
{
    if (buf != NULL)
        OPENSSL_free(buf - buf[-1]);
}

void keel_rl_release_idle(keel_rl *rl)
{
    keel_rl_release_rbuf(rl);
    keel_rl_release_wbuf(rl);
}

/* Drops everything that belongs to the connection: buffers, keys, sequence numbers. */
static void drop_state(keel_rl *rl)
{
    dir_cleanup(&rl->rd);
    dir_cleanup(&rl->wr);
    keel_rl_buf_free(rl->rbuf);
    keel_rl_buf_free(rl->wbuf);
    rl->rbuf = rl->wbuf = NULL;
    rl->rhave = rl->rneed = rl->ahead_len = 0;
    rl->rec_ready = 0;
    rl->rec_type = 0;
    rl->rec_in_offer = 0;
    rl->rec_off = rl->rec_len = 0;
    rl->offer = NULL;
    rl->offer_cap = 0;
    rl->wcap = rl->woff = rl->wlen = 0;
    rl->seen_record = 0;
    rl->plain_alert_once = 0;
    rl->max_plain = 0;
    rl->skip_early = 0;
    rl->skip_budget = 0;
    rl->plain_alerts_out = 0;
    rl->plain_alerts_in = 0;
}

void keel_rl_cleanup(keel_rl *rl)
{
    drop_state(rl);
}

void keel_rl_reset(keel_rl *rl)
{
    drop_state(rl);
    rl->version = KEEL_VERSION_TLS12;
}

void keel_rl_set_version(keel_rl *rl, uint16_t record_version)
{
    rl->version = record_version;
}

void keel_rl_set_max_plain(keel_rl *rl, size_t max)
{
    rl->max_plain = (uint16_t)max; /* at most 4096 (RFC 6066 §4) */
}

void keel_rl_allow_plain_alert(keel_rl *rl)
{
    rl->plain_alert_once = 1;
}

void keel_rl_plain_alerts_out(keel_rl *rl)
{
    rl->plain_alerts_out = 1;
}

void keel_rl_plain_alerts_in(keel_rl *rl)
{
    rl->plain_alerts_in = 1;
}

void keel_rl_skip_early(keel_rl *rl, size_t budget)
{
    rl->skip_early = 1;
    rl->skip_budget = budget;
}

/* The start of every key change in one direction: from here on a failure must not leave the old
 * keys (or plaintext) in force, so the direction is BROKEN until the caller installs the new ones.
 * An allowance armed for the old read key does not carry over to the new one. NULL for a bad dir. */
static keel_rl_dir *key_change_begin(keel_rl *rl, int dir)
{
    keel_rl_dir *d;

    if (dir != KEEL_RL_READ && dir != KEEL_RL_WRITE) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return NULL;
    }
    d = dir == KEEL_RL_WRITE ? &rl->wr : &rl->rd;
    d->prot = KEEL_RL_PROT_BROKEN;
    if (dir == KEEL_RL_READ)
        rl->plain_alert_once = rl->plain_alerts_in = 0;
    else
        rl->plain_alerts_out = 0;
    OPENSSL_cleanse(d->iv, sizeof(d->iv));
    return d;
}

/* Installs an AEAD key and iv in one direction. The AEAD context is re-keyed in place when the
 * algorithm is unchanged (every TLS 1.3 key change after the first, §4.6.3 KeyUpdate included), so
 * the steady state allocates nothing. The iv is 12 bytes (RFC 8446 §7.3; RFC 7905 §2 for TLS 1.2
 * ChaCha20-Poly1305) except TLS 1.2 AES-GCM/CCM's 4-byte implicit salt (RFC 5288 §3, RFC 6655 §3). */
static int set_key(keel_rl *rl, int dir, keel_rl_prot prot, keel_aead_id id, const uint8_t *key,
                   const uint8_t *iv, size_t iv_len)
{
    size_t want = prot == KEEL_RL_PROT_TLS12 && id != KEEL_AEAD_CHACHA20_POLY1305 ? 4 : KEEL_AEAD_NONCE_LEN;
    keel_rl_dir *d = key_change_begin(rl, dir);

    if (d == NULL)
        return 0;
    if (key == NULL || iv == NULL || iv_len != want) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    keel_cbc_free(d->cbc);
    d->cbc = NULL;
    if (d->aead != NULL && d->aead_id != id) {
        keel_aead_free(d->aead);
        d->aead = NULL;
    }
    if (d->aead == NULL) {
        if ((d->aead = keel_aead_new(rl->algs, id, dir == KEEL_RL_WRITE)) == NULL)
            return 0;
        d->aead_id = id;
    }
    if (!keel_aead_set_key(d->aead, key))
        return 0;
    memcpy(d->iv, iv, iv_len);
    d->seq = 0;
    d->prot = prot;
    return 1;
}

int keel_rl_set_key13(keel_rl *rl, int dir, keel_aead_id id, const uint8_t *key,
                      const uint8_t iv[KEEL_AEAD_NONCE_LEN])
{
    return set_key(rl, dir, KEEL_RL_PROT_TLS13, id, key, iv, KEEL_AEAD_NONCE_LEN);
}

int keel_rl_set_key12(keel_rl *rl, int dir, keel_aead_id id, const uint8_t *key,
                      const uint8_t *iv, size_t iv_len)
{
    return set_key(rl, dir, KEEL_RL_PROT_TLS12, id, key, iv, iv_len);
}

int keel_rl_set_key12_cbc(keel_rl *rl, int dir, keel_aead_id enc, keel_mac_id mac, int etm,
                          const uint8_t *mac_key, const uint8_t *key)
{
    keel_rl_dir *d = key_change_begin(rl, dir);

    if (d == NULL)
        return 0;
    keel_aead_free(d->aead);
    d->aead = NULL;
    keel_cbc_free(d->cbc);
    d->cbc = NULL;
    if (mac_key == NULL || key == NULL) {
        ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_INVALID_ARGUMENT);
        return 0;
    }
    /* A new context per key change (a handful per connection): the MAC mode may differ. */
    if ((d->cbc = keel_cbc_new(rl->algs, enc, mac, dir == KEEL_RL_WRITE, etm, 1)) == NULL)
        return 0;
    if (!keel_cbc_set_key(d->cbc, mac_key, key)) {
        keel_cbc_free(d->cbc);
        d->cbc = NULL;
        return 0;
    }
    d->aead_id = enc;
    d->seq = 0;
    d->prot = KEEL_RL_PROT_TLS12_CBC;
    return 1;
}

int keel_rl_set_plain(keel_rl *rl, int dir)
{
    keel_rl_dir *d = key_change_begin(rl, dir);

    if (d == NULL)
        return 0;
    /* The AEAD context stays for the next key (re-keyed in place). */
    keel_cbc_free(d->cbc);
    d->cbc = NULL;
    d->seq = 0;
    d->prot = KEEL_RL_PROT_NONE;
    return 1;
}
