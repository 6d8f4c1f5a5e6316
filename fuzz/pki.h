/* Fixed test PKI for the fuzz harnesses (P-256, valid 2026-2126, generated once with the openssl
 * command): fixed bytes make the recorded transcripts replay exactly. Not secret; never use elsewhere. */
#ifndef KEEL_FUZZ_PKI_H
#define KEEL_FUZZ_PKI_H
static const char KEEL_FUZZ_CA_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBljCCATugAwIBAgIUQ/5TajqKeLMo/0PnPeCQpS2t1twwCgYIKoZIzj0EAwIw\n"
    "FzEVMBMGA1UEAwwMa2VlbCBmdXp6IENBMCAXDTI2MTEyNTA5MDMwOVoYDzIxMjYx\n"
    "MTAxMDkwMzA5WjAXMRUwEwYDVQQDDAxrZWVsIGZ1enogQ0EwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAAQ/oOa/7WZhg12sInggj8NLRaZMUJbqciOYvdY5enj52zrZ\n"
    "e5sIMAgZVTkJ+p0sDJkSFv1vX7vYLkErJDHxNVzho2MwYTAdBgNVHQ4EFgQUa8nW\n"
    "ran0dx9z5z8x9GPrM9NQF/swHwYDVR0jBBgwFoAUa8nWran0dx9z5z8x9GPrM9NQ\n"
    "F/swDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwID\n"
    "SQAwRgIhALSyN/bWcquoYXqJFRSQ3XQf/RbSsGbvoWZ1YMOxuRjKAiEAo7GGspOG\n"
    "pp/bKSSDF1iDQoevUmomCYD9j5QPSnOqhUE=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char KEEL_FUZZ_SERVER_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpTCCAUqgAwIBAgIBEDAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxrZWVsIGZ1\n"
    "enogQ0EwIBcNMjYxMTI1MDkwMzEwWhgPMjEyNjExMDEwOTAzMTBaMBYxFDASBgNV\n"
    "BAMMC3NlcnZlci50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3EcZK0YE\n"
    "ZulxHxKpigr3RAgAkXEjh9ycjEhLk1klMDL4HIXBUJ7cx2v1QhVXiSXoxQXQZq/6\n"
    "4nOG3GX3zpq/taOBhTCBgjAWBgNVHREEDzANggtzZXJ2ZXIudGVzdDAdBgNVHSUE\n"
    "FjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwCQYDVR0TBAIwADAdBgNVHQ4EFgQU9DCf\n"
    "ydG7q7gnbcTiToNHb0g992gwHwYDVR0jBBgwFoAUa8nWran0dx9z5z8x9GPrM9NQ\n"
    "F/swCgYIKoZIzj0EAwIDSQAwRgIhAO4JEqndYa20vo9d8X0xuN5o0UIR83tfmDM+\n"
    "hKYm5dzuAiEAnwqHOvkXwY3WbsNXgW7R0+ZsSUO+hYXxi/zbQ6mo2dw=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char KEEL_FUZZ_SERVER_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAmZvJLczLlRqXlNy\n"
    "cezux4khH5/nBR5nJXYzZIjTAzuhRANCAATcRxkrRgRm6XEfEqmKCvdECACRcSOH\n"
    "3JyMSEuTWSUwMvgchcFQntzHa/VCFVeJJejFBdBmr/ric4bcZffOmr+1\n"
    "-----END PRIVATE KEY-----\n"
    ;
static const char KEEL_FUZZ_CLIENT_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBpDCCAUqgAwIBAgIBETAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxrZWVsIGZ1\n"
    "enogQ0EwIBcNMjYxMTI1MDkwMzEwWhgPMjEyNjExMDEwOTAzMTBaMBYxFDASBgNV\n"
    "BAMMC2NsaWVudC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEHvu2r0h9\n"
    "ZSrdSO5y7xAWo8cQWf+KjeCVnygGkzcCI/uSdnJ4cZIP9KIgApVsDE8z4bAozGQu\n"
    "nFe/AZZBq0KkcaOBhTCBgjAWBgNVHREEDzANggtjbGllbnQudGVzdDAdBgNVHSUE\n"
    "FjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwCQYDVR0TBAIwADAdBgNVHQ4EFgQUljDG\n"
    "6dyEMtpQc+3DGdrCb4z4X6swHwYDVR0jBBgwFoAUa8nWran0dx9z5z8x9GPrM9NQ\n"
    "F/swCgYIKoZIzj0EAwIDSAAwRQIhAMnngMSyLL/kEcQ4pVSmyTCBEtsfopAUkzu3\n"
    "vg3fxle5AiAIXuUzrN7MmRYgvoR5rkookN/ZxLy1SVDdF7V6HhYkfg==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char KEEL_FUZZ_CLIENT_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgepBZzawi45BfbGfR\n"
    "vUNhyOj6c/hAbn9SXO+NNpok4/uhRANCAAQe+7avSH1lKt1I7nLvEBajxxBZ/4qN\n"
    "4JWfKAaTNwIj+5J2cnhxkg/0oiAClWwMTzPhsCjMZC6cV78BlkGrQqRx\n"
    "-----END PRIVATE KEY-----\n"
    ;
#endif
