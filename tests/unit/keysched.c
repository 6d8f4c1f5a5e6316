/* TLS 1.3 key schedule against RFC 8448: §3 (Simple 1-RTT Handshake) end to end — transcript
 * hashes from the trace's messages, every secret, traffic keys, both Finished values, resumption —
 * then the server's first encrypted record opened with the derived keys; §4 (Resumed 0-RTT) for
 * the PSK side: early secret, binder key, binder, early traffic and early exporter secrets.
 * Published test-vector bytes are facts (RFC 8448 is informational test data). */
#include "crypto/crypto.h"
#include "handshake/tls13/keysched.h"
#include "testutil.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <string.h>

/* RFC 8448 §3 messages: ClientHello, ServerHello, the server's encrypted flight in plaintext
 * (EncryptedExtensions, Certificate, CertificateVerify, Finished) and that flight's record. */
static const char rfc_ch[] =
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700000613011303130201"
    "0000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400"
    "230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b00"
    "03020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c"
    "00024001";
static const char rfc_sh[] =
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024"
    "001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
static const char rfc_flight[] =
    "080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b5"
    "0001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a0603550403130372"
    "7361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372"
    "736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c"
    "0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0cc"
    "b0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a"
    "8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0"
    "300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594"
    "365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1"
    "fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4"
    "2b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc"
    "90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671"
    "459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000"
    "209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
static const char rfc_record[] =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca"
    "07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b"
    "d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c"
    "7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092"
    "8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8"
    "9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f"
    "4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a3"
    "6ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e"
    "1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052c"
    "f93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb"
    "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038"
    "ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd50278"
    "4016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e"
    "750edc53370d2b";

static uint8_t ch[196], sh[90], flight[657], record[679];

static int hexeq(const uint8_t *got, size_t n, const char *hex)
{
    uint8_t want[128];
    int len = keel_test_unhex(hex, want, sizeof(want));

    return len == (int)n && memcmp(got, want, n) == 0;
}

/* Without an early stage set up, the handshake stage starts from the table's constant salt
 * (no PSK): the same handshake secret, for each hash the same as through the early stage. */
static void check_no_psk_salt(const keel_algs *a, const uint8_t dhe[32])
{
    keel_ks k2, k3;
    static const keel_hash_id ids[] = { KEEL_HASH_SHA256, KEEL_HASH_SHA384 };

    CHECK(keel_ks_init(&k2, a, KEEL_HASH_SHA256));
    CHECK(keel_ks_handshake(&k2, dhe, 32));
    CHECK(hexeq(k2.secret, 32, "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"));
    keel_ks_cleanup(&k2); /* its HMAC context (keel_ks_init starts afresh) */
    for (size_t i = 0; i < 2; i++) {
        CHECK(keel_ks_init(&k2, a, ids[i]) && keel_ks_init(&k3, a, ids[i]));
        CHECK(keel_ks_early(&k3, NULL, 0));
        CHECK(keel_ks_handshake(&k2, dhe, 32) && keel_ks_handshake(&k3, dhe, 32));
        CHECK(memcmp(k2.secret, k3.secret, k2.hlen) == 0);
        CHECK(keel_ks_master(&k2) && keel_ks_master(&k3));
        CHECK(memcmp(k2.secret, k3.secret, k2.hlen) == 0);
        keel_ks_cleanup(&k2);
        keel_ks_cleanup(&k3);
    }
}

static void test_rfc8448_1rtt(const keel_algs *a)
{
    keel_transcript t;
    keel_ks ks;
    uint8_t th_sh[32], th_sfin[32], th_cfin[32], th_cv[32];
    uint8_t dhe[32], chs[32], shs[32], cap[32], sap[32], x[64], key[16], iv[12];
    static const size_t sfin_len = 36;   /* Finished: 14 00 00 20 || verify_data */

    keel_test_unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d", dhe, 32);

    /* Transcript hashes come from the messages themselves (RFC 8446 §4.4.1): the client does
     * not know the suite when it sends ClientHello, so start in buffering mode. */
    CHECK(keel_transcript_init(&t, a));
    CHECK(keel_transcript_update(&t, ch, sizeof(ch)));
    CHECK(keel_transcript_update(&t, sh, sizeof(sh)));
    CHECK(keel_transcript_set_hash(&t, KEEL_HASH_SHA256));
    CHECK(keel_transcript_current(&t, th_sh));
    CHECK(hexeq(th_sh, 32, "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"));
    CHECK(keel_transcript_update(&t, flight, sizeof(flight) - sfin_len));
    CHECK(keel_transcript_current(&t, th_cv));
    CHECK(keel_transcript_update(&t, flight + sizeof(flight) - sfin_len, sfin_len));
    CHECK(keel_transcript_current(&t, th_sfin));
    CHECK(hexeq(th_sfin, 32, "9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"));

    /* Stages and secrets (RFC 8446 §7.1). */
    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA256));
    CHECK(keel_ks_early(&ks, NULL, 0));
    CHECK(hexeq(ks.secret, 32, "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"));
    CHECK(!keel_ks_master(&ks));                 /* stages run in order */
    ERR_clear_error();
    CHECK(keel_ks_handshake(&ks, dhe, 32));
    CHECK(hexeq(ks.secret, 32, "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"));
    check_no_psk_salt(a, dhe);
    CHECK(keel_ks_client_hs_traffic(&ks, th_sh, chs));
    CHECK(hexeq(chs, 32, "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"));
    CHECK(keel_ks_server_hs_traffic(&ks, th_sh, shs));
    CHECK(hexeq(shs, 32, "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"));
    CHECK(!keel_ks_client_app_traffic(&ks, th_sfin, x));   /* not before the master secret */
    ERR_clear_error();
    CHECK(keel_ks_master(&ks));
    CHECK(hexeq(ks.secret, 32, "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"));
    CHECK(!keel_ks_client_hs_traffic(&ks, th_sh, x));      /* nor handshake secrets after */
    ERR_clear_error();
    CHECK(keel_ks_client_app_traffic(&ks, th_sfin, cap));
    CHECK(hexeq(cap, 32, "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"));
    CHECK(keel_ks_server_app_traffic(&ks, th_sfin, sap));
    CHECK(hexeq(sap, 32, "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"));
    CHECK(keel_ks_exporter_master(&ks, th_sfin, x));
    CHECK(hexeq(x, 32, "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"));

    /* Traffic keys (§7.3). */
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA256, shs, key, 16, iv));
    CHECK(hexeq(key, 16, "3fce516009c21727d0f2e4e86ee403bc") && hexeq(iv, 12, "5d313eb2671276ee13000b30"));
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA256, chs, key, 16, iv));
    CHECK(hexeq(key, 16, "dbfaa693d1762c5b666af5d950258d01") && hexeq(iv, 12, "5bd3c71b836e0b76bb73265f"));
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA256, sap, key, 16, iv));
    CHECK(hexeq(key, 16, "9f02283b6c9c07efc26bb9f2ac92e356") && hexeq(iv, 12, "cf782b88dd83549aadf1e984"));
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA256, cap, key, 16, iv));
    CHECK(hexeq(key, 16, "17422dda596ed5d9acd890e3c63f5051") && hexeq(iv, 12, "5b78923dee08579033e523d9"));

    /* Finished (§4.4.4): the server's verify_data is the last 32 bytes of its flight. */
    const uint8_t *sfin = flight + sizeof(flight) - 32;

    /* The same on the schedule's context (which then holds kept pad states, keel_prf_again): key,
     * iv and finished key in one run, the Finished from that key, keys without a finished key, in
     * an order other than the handshake's; the schedule's own derivations after it (below: the
     * resumption master secret) must rekey. */
    uint8_t fk[32];
    CHECK(keel_ks_traffic_keys_fk_on(&ks, a, KEEL_HASH_SHA256, chs, key, 16, iv, fk));
    CHECK(hexeq(key, 16, "dbfaa693d1762c5b666af5d950258d01") && hexeq(iv, 12, "5bd3c71b836e0b76bb73265f"));
    CHECK(keel_ks_traffic_keys_fk_on(&ks, a, KEEL_HASH_SHA256, shs, key, 16, iv, fk));
    CHECK(hexeq(key, 16, "3fce516009c21727d0f2e4e86ee403bc") && hexeq(iv, 12, "5d313eb2671276ee13000b30"));
    CHECK(hexeq(fk, 32, "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"));
    CHECK(keel_ks_verify_data_fk_on(&ks, a, KEEL_HASH_SHA256, fk, th_cv, x) && memcmp(x, sfin, 32) == 0);
    CHECK(keel_ks_verify_data_fk_on(NULL, a, KEEL_HASH_SHA256, fk, th_cv, x) && memcmp(x, sfin, 32) == 0);
    CHECK(keel_ks_traffic_keys_on(&ks, a, KEEL_HASH_SHA256, cap, key, 16, iv));
    CHECK(hexeq(key, 16, "17422dda596ed5d9acd890e3c63f5051") && hexeq(iv, 12, "5b78923dee08579033e523d9"));
    CHECK(keel_ks_verify_data_on(&ks, a, KEEL_HASH_SHA256, shs, th_cv, x) && memcmp(x, sfin, 32) == 0);
    CHECK(keel_ks_traffic_keys_fk_on(NULL, a, KEEL_HASH_SHA256, shs, key, 16, iv, fk));
    CHECK(hexeq(key, 16, "3fce516009c21727d0f2e4e86ee403bc") && hexeq(iv, 12, "5d313eb2671276ee13000b30"));
    CHECK(hexeq(fk, 32, "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"));
    CHECK(keel_ks_finished_key(a, KEEL_HASH_SHA256, shs, x));
    CHECK(hexeq(x, 32, "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"));
    CHECK(keel_ks_verify_data(a, KEEL_HASH_SHA256, shs, th_cv, x) && memcmp(x, sfin, 32) == 0);
    CHECK(keel_ks_verify_data_check(a, KEEL_HASH_SHA256, shs, th_cv, sfin, 32));
    uint8_t forged[32];
    memcpy(forged, sfin, 32);
    forged[31] ^= 1;
    CHECK(!keel_ks_verify_data_check(a, KEEL_HASH_SHA256, shs, th_cv, forged, 32));
    CHECK(!keel_ks_verify_data_check(a, KEEL_HASH_SHA256, shs, th_cv, sfin, 31));
    CHECK(!keel_ks_verify_data_check(a, KEEL_HASH_SHA256, chs, th_cv, sfin, 32));   /* wrong key */
    CHECK(ERR_peek_error() == 0);

    /* The client's Finished covers the transcript through the server's Finished. */
    uint8_t cfin[36] = { 0x14, 0x00, 0x00, 0x20 };
    CHECK(keel_ks_verify_data(a, KEEL_HASH_SHA256, chs, th_sfin, cfin + 4));
    CHECK(hexeq(cfin + 4, 32, "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"));
    CHECK(keel_transcript_update(&t, cfin, sizeof(cfin)));
    CHECK(keel_transcript_current(&t, th_cfin));
    CHECK(hexeq(th_cfin, 32, "209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"));

    /* Resumption (§4.6.1): the NewSessionTicket's nonce is 00 00 in the trace. */
    uint8_t rms[32], psk[32];
    static const uint8_t nonce[2] = { 0, 0 };
    CHECK(keel_ks_resumption_master(&ks, th_cfin, rms));
    CHECK(hexeq(rms, 32, "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"));
    CHECK(keel_ks_resumption_psk(a, KEEL_HASH_SHA256, rms, nonce, 2, psk));
    CHECK(hexeq(psk, 32, "4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"));

    /* The server's first protected record opens with the derived handshake key (sequence 0, so
     * the nonce is the IV; the AAD is the record header, RFC 8446 §5.2). */
    keel_aead_ctx *open = keel_aead_new(a, KEEL_AEAD_AES_128_GCM, 0);
    static uint8_t plain[679];
    CHECK(open != NULL);
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA256, shs, key, 16, iv));
    if (open != NULL) {
        CHECK(keel_aead_set_key(open, key));
        CHECK(keel_aead_open(open, iv, record, 5, record + 5, sizeof(record) - 5, plain));
        CHECK(memcmp(plain, flight, sizeof(flight)) == 0);
        CHECK(plain[sizeof(flight)] == 22);       /* TLSInnerPlaintext.type = handshake */
        keel_aead_free(open);
    }

    keel_ks_cleanup(&ks);
    CHECK(ks.stage == 0 && ks.secret[0] == 0 && ks.secret[31] == 0);

    /* The stage secrets asked for in other orders than keys.c's (the kept pad states then serve
     * fewer of them, or none), with traffic keys between them: the same secrets. */
    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA256));
    CHECK(keel_ks_handshake(&ks, dhe, 32));
    CHECK(keel_ks_server_hs_traffic(&ks, th_sh, x) && memcmp(x, shs, 32) == 0);
    CHECK(keel_ks_traffic_keys_on(&ks, a, KEEL_HASH_SHA256, shs, key, 16, iv));
    CHECK(keel_ks_client_hs_traffic(&ks, th_sh, x) && memcmp(x, chs, 32) == 0);
    CHECK(keel_ks_client_hs_traffic(&ks, th_sh, x) && memcmp(x, chs, 32) == 0);
    CHECK(keel_ks_master(&ks));
    CHECK(hexeq(ks.secret, 32, "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"));
    CHECK(keel_ks_exporter_master(&ks, th_sfin, x));
    CHECK(hexeq(x, 32, "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"));
    CHECK(keel_ks_client_app_traffic(&ks, th_sfin, x) && memcmp(x, cap, 32) == 0);
    CHECK(keel_ks_traffic_keys_on(&ks, a, KEEL_HASH_SHA256, cap, key, 16, iv));
    CHECK(keel_ks_server_app_traffic(&ks, th_sfin, x) && memcmp(x, sap, 32) == 0);
    CHECK(keel_ks_resumption_master(&ks, th_cfin, x));
    CHECK(hexeq(x, 32, "7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"));
    keel_ks_cleanup(&ks);
    keel_transcript_cleanup(&t);
}

static void test_rfc8448_resumed(const keel_algs *a)
{
    uint8_t psk[32], th[32], x[32];
    keel_ks ks;

    keel_test_unhex("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3", psk, 32);
    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA256));
    CHECK(keel_ks_early(&ks, psk, 32));
    CHECK(hexeq(ks.secret, 32, "9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"));
    CHECK(keel_ks_binder_key(&ks, 0, x));
    CHECK(hexeq(x, 32, "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"));
    /* External and resumption binder keys differ (RFC 8446 §7.1: one cannot pass for the other). */
    uint8_t ext[32];
    CHECK(keel_ks_binder_key(&ks, 1, ext) && memcmp(ext, x, 32) != 0);

    /* The binder over the ClientHello truncated before its binders list (§4.2.11.2). */
    keel_test_unhex("63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14", th, 32);
    CHECK(keel_ks_binder(&ks, 0, th, x));
    CHECK(hexeq(x, 32, "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"));

    keel_test_unhex("08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913", th, 32);
    CHECK(keel_ks_client_early_traffic(&ks, th, x));
    CHECK(hexeq(x, 32, "3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62"));
    CHECK(keel_ks_early_exporter_master(&ks, th, x));
    CHECK(hexeq(x, 32, "b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df"));
    /* On to the handshake and master secrets of RFC 8448 §4 (ECDHE f441..2e). */
    uint8_t dhe4[32];
    keel_test_unhex("f44194756ff9ec9d25180635d66ea6824c6ab3bf179977be37f723570e7ccb2e", dhe4, 32);
    CHECK(keel_ks_handshake(&ks, dhe4, 32));
    CHECK(hexeq(ks.secret, 32, "005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6"));
    CHECK(keel_ks_master(&ks));
    CHECK(hexeq(ks.secret, 32, "e2d32d4ed66dd37897a0e80c84107503ce58bf8aad4cb55a5002d77ecb890ece"));
    keel_ks_cleanup(&ks);

    /* A schedule that carries on past its binder (keel_ks_carry_on: the Handshake Secret's salt
     * derived with the binder key): the same binder and secrets; a second Early Secret (another
     * PSK, then this one again) drops the salt of the first. */
    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA256));
    keel_ks_carry_on(&ks);
    uint8_t other[32];
    memset(other, 0x5a, sizeof(other));
    CHECK(keel_ks_early(&ks, other, 32));
    CHECK(keel_ks_binder_key(&ks, 0, x) && !hexeq(x, 32, "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"));
    CHECK(keel_ks_early(&ks, psk, 32));
    CHECK(keel_ks_binder_key(&ks, 0, x));
    CHECK(hexeq(x, 32, "69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"));
    keel_test_unhex("63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14", th, 32);
    CHECK(keel_ks_binder(&ks, 0, th, x));
    CHECK(hexeq(x, 32, "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"));
    keel_test_unhex("08ad0fa05d7c7233b1775ba2ff9f4c5b8b59276b7f227f13a976245f5d960913", th, 32);
    CHECK(keel_ks_client_early_traffic(&ks, th, x));
    CHECK(hexeq(x, 32, "3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62"));
    CHECK(keel_ks_handshake(&ks, dhe4, 32));
    CHECK(hexeq(ks.secret, 32, "005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6"));
    CHECK(keel_ks_master(&ks));
    CHECK(hexeq(ks.secret, 32, "e2d32d4ed66dd37897a0e80c84107503ce58bf8aad4cb55a5002d77ecb890ece"));
    keel_ks_cleanup(&ks);

    /* A handshake without an explicit early stage starts from the no-PSK early secret. */
    uint8_t dhe[32];
    keel_test_unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d", dhe, 32);
    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA256));
    CHECK(keel_ks_handshake(&ks, dhe, 32));
    CHECK(hexeq(ks.secret, 32, "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"));
    check_no_psk_salt(a, dhe);
    keel_ks_cleanup(&ks);
}

/* Expected values below were computed independently (RFC 8446 §7.2 and §7.5 formulas, Python's
 * hmac/hashlib) from the RFC 8448 §3 application and exporter secrets. */
static void test_key_update_and_exporter(const keel_algs *a)
{
    uint8_t cap[32], ems[32], out[64];

    keel_test_unhex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", cap, 32);
    CHECK(keel_ks_next_secret(a, KEEL_HASH_SHA256, cap, out));
    CHECK(hexeq(out, 32, "fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207"));
    CHECK(keel_ks_next_secret(a, KEEL_HASH_SHA256, out, out));      /* in place */
    CHECK(hexeq(out, 32, "68474fe58c172143d0a009a76edd231b0d934f3058588ea0852662279e54a573"));

    keel_test_unhex("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50", ems, 32);
    static const char label[] = "EXPERIMENTAL keel";
    CHECK(keel_ks_export(a, KEEL_HASH_SHA256, ems, label, strlen(label),
                         (const uint8_t *)"context value", 13, 1, out, 32));
    CHECK(hexeq(out, 32, "71f8f4c2ffd8f0d4ebc5f55adb336d28acf1152331dc8ce614c19a49fec51772"));
    /* No context is the empty context in TLS 1.3: the context bytes are ignored. */
    CHECK(keel_ks_export(a, KEEL_HASH_SHA256, ems, label, strlen(label),
                         (const uint8_t *)"ignored", 7, 0, out, 20));
    CHECK(hexeq(out, 20, "6b0f54a2e873fad11268c4f2443d01d2671248d7"));
    CHECK(keel_ks_export(a, KEEL_HASH_SHA256, ems, label, strlen(label), NULL, 0, 1, out, 20));
    CHECK(hexeq(out, 20, "6b0f54a2e873fad11268c4f2443d01d2671248d7"));
    CHECK(keel_ks_export(a, KEEL_HASH_SHA256, ems, "", 0, NULL, 0, 0, out, 64));
    CHECK(hexeq(out, 64, "de28b641ce15ea675e6c42431e28916a4308bac0e3dce359bf9a002d4f169bcc"
                         "d6c59480f083a0ddc676a8ce64b1469ef90d06642b0849fed874f9c7251aab6f"));
    /* Labels longer than HkdfLabel allows are refused. */
    char longlabel[251];
    memset(longlabel, 'a', sizeof(longlabel));
    CHECK(!keel_ks_export(a, KEEL_HASH_SHA256, ems, longlabel, 250, NULL, 0, 0, out, 32));
    CHECK(keel_ks_export(a, KEEL_HASH_SHA256, ems, longlabel, 249, NULL, 0, 0, out, 32));
    ERR_clear_error();
}

/* SHA-384 suites run the same schedule with 48-byte secrets; check the lengths flow through. */
static void test_sha384(const keel_algs *a)
{
    keel_ks ks;
    uint8_t th[48] = { 1 }, s1[48], s2[48], key[32], iv[12], vd[48];

    CHECK(keel_ks_init(&ks, a, KEEL_HASH_SHA384) && ks.hlen == 48);
    CHECK(keel_ks_handshake(&ks, th, 48));
    CHECK(keel_ks_client_hs_traffic(&ks, th, s1) && keel_ks_server_hs_traffic(&ks, th, s2));
    CHECK(memcmp(s1, s2, 48) != 0);
    CHECK(keel_ks_traffic_keys(a, KEEL_HASH_SHA384, s1, key, 32, iv));
    CHECK(keel_ks_verify_data(a, KEEL_HASH_SHA384, s1, th, vd));
    CHECK(keel_ks_verify_data_check(a, KEEL_HASH_SHA384, s1, th, vd, 48));
    CHECK(!keel_ks_verify_data_check(a, KEEL_HASH_SHA384, s1, th, vd, 32));
    CHECK(keel_ks_master(&ks));
    keel_ks_cleanup(&ks);
    CHECK(!keel_ks_init(&ks, a, (keel_hash_id)42));
    ERR_clear_error();
}

int main(void)
{
    const keel_algs *a;

    keel_test_malloc_install();
    CHECK(keel_test_unhex(rfc_ch, ch, sizeof(ch)) == (int)sizeof(ch));
    CHECK(keel_test_unhex(rfc_sh, sh, sizeof(sh)) == (int)sizeof(sh));
    CHECK(keel_test_unhex(rfc_flight, flight, sizeof(flight)) == (int)sizeof(flight));
    CHECK(keel_test_unhex(rfc_record, record, sizeof(record)) == (int)sizeof(record));
    a = keel_algs_default();
    CHECK(a != NULL);
    if (a == NULL)
        return keel_test_finish("keysched");
    test_rfc8448_1rtt(a);
    test_rfc8448_resumed(a);
    test_key_update_and_exporter(a);
    test_sha384(a);
    return keel_test_finish("keysched");
}
