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
/* RSA-2048, self-signed for "server.test" (valid 2026-2126; the fixture trusts it directly): the
 * servers' second certificate, for DHE-RSA and RSA key transport (RFC 5246 §7.4.7.1). Generated
 * once with `openssl req -x509 -newkey rsa:2048 -days 36500 -subj /CN=server.test
 * -addext subjectAltName=DNS:server.test`. */
static const char KEEL_FUZZ_RSA_CERT[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDNDCCAhygAwIBAgIUXCZ70nf7/vJyVmbd/jktZbxMmTgwDQYJKoZIhvcNAQEL\n"
    "BQAwFjEUMBIGA1UEAwwLc2VydmVyLnRlc3QwIBcNMjYxMjAxMTYzOTE5WhgPMjEy\n"
    "NjExMDcxNjM5MTlaMBYxFDASBgNVBAMMC3NlcnZlci50ZXN0MIIBIjANBgkqhkiG\n"
    "9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqGa6bjZY4H2bDtinxjGA0xIhpaoRuZgbn24l\n"
    "CMK8e+TNUVOrNOXGhVmhNK2l+3qoddBtZqCnJ2V2yJZGhD77YOj+4WQPJaU3R9XZ\n"
    "f4hHRBYhWDbkoGX3jn2hT7W0yDbeuHTx5Zr75mUtWsccwUUQ3gGttHoADRo6p1TK\n"
    "CQVkvs2zZEqERlbL14q0FTbbjcjvHLpB/dq7WHLQmOELAV0/tzWDKVvwYCE9u+ng\n"
    "1pXAtqVRHsXbbkm090prGXOfqrgRRC7RiDcQBcqA7332bYLJKGuHNVF3TuNEZk1s\n"
    "/8gQL1xuq3LZJn9L9w8PcHByCGJctrMjelde1GXkwSAc0pgEOQIDAQABo3gwdjAd\n"
    "BgNVHQ4EFgQU5hj2zMVMpTTJlMyBVX8Q+oA7pYUwHwYDVR0jBBgwFoAU5hj2zMVM\n"
    "pTTJlMyBVX8Q+oA7pYUwFgYDVR0RBA8wDYILc2VydmVyLnRlc3QwDAYDVR0TAQH/\n"
    "BAIwADAOBgNVHQ8BAf8EBAMCBaAwDQYJKoZIhvcNAQELBQADggEBABouqjZ5GNAW\n"
    "8Pxj0Jd/cM1XLIkpPf79pVroLmpmC/4funO7dWby5II1RYe9PjmakAZk0D99nRIg\n"
    "IxMdD8suxOfOEIRAYwMSKOhKVlVlmHfow1qkgT/tlJ3FOiJ8R75oV4X4vxk3B9UL\n"
    "/urHmGpFkkCRuCgGfHQQXKTFrcfrlt/wXmtPyNPSO2vLpet7cNuZ38WT2ggUfcG0\n"
    "Tozjzu6omP7HF3zoDTLo7uuQr8NHoogH3iEsf1G6zqD5Dq8kO9ftFLtCxUNfaRKW\n"
    "FN0fIcJ9jWST+BeO29pmMqYSRFqcb7AFncA80TfVCVOx42Y1ELHSXhNimBPoCoC2\n"
    "BZgySDnaz8o=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char KEEL_FUZZ_RSA_KEY[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCoZrpuNljgfZsO\n"
    "2KfGMYDTEiGlqhG5mBufbiUIwrx75M1RU6s05caFWaE0raX7eqh10G1moKcnZXbI\n"
    "lkaEPvtg6P7hZA8lpTdH1dl/iEdEFiFYNuSgZfeOfaFPtbTINt64dPHlmvvmZS1a\n"
    "xxzBRRDeAa20egANGjqnVMoJBWS+zbNkSoRGVsvXirQVNtuNyO8cukH92rtYctCY\n"
    "4QsBXT+3NYMpW/BgIT276eDWlcC2pVEexdtuSbT3SmsZc5+quBFELtGINxAFyoDv\n"
    "ffZtgskoa4c1UXdO40RmTWz/yBAvXG6rctkmf0v3Dw9wcHIIYly2syN6V17UZeTB\n"
    "IBzSmAQ5AgMBAAECggEAFNrD86ofT42+ihQiktTGk10HdbCeCVHg+dl2FKOpG961\n"
    "3oByD1b1QsZaxF9M0tvZyN1K7w6uJJ7YGvchPHdgQhwYlGkDxzGyqt681KJX0QK8\n"
    "lmQV5Bc8lRTRyUFDZhgFdOpmmnya/WlCOJ+32+dls1iZ3mPNZdH9uYMykfNtCoPT\n"
    "ZGDfGEa71tgmiMVU60tWUaAuq/JNIPnBHR68nFcYX3xHNvrlB5rQLnYovi1wiKfi\n"
    "j6HstqdUkMk159gT7dIvfR6wvhCJo9/vXVcWNrqzTiVy9smlOb8fU+31Td45folI\n"
    "hd5EOLPskzSOAz+lYgJva/43/8uhXykk1eVSGaMTkQKBgQDV+OdWM/ko53oO/hD2\n"
    "cTU2bYjsA9KjbTlrc9c4AYa69oKruuXRB9ZdgRj462V1GKjxz05LG5OEkq4BQuYR\n"
    "TFljRuSuSVIxijB6Gw400kPn5JZ3MMlwGvgyTPUQrQr/CsATHye6Kt8mFBCHGKTg\n"
    "QkwXWnIoxoQaw4t1kyRD6LVWFwKBgQDJemS169N54e8qjL5Bct6dp0qPgaJdtsXB\n"
    "yhL65ft2yuXa/NdmTNDgMIW7v5dKiqskqAX/1u/fo+R/gZPfLx2IyoAUdbzh4Fy7\n"
    "VvIawG/lZuJGhBIO6xtcMOYC36+WOppeWby8GQTKsV+lPgELunwr7Go8wJSFtm+R\n"
    "ZvHhRhQ6LwKBgQCOWm8GAcPlO8MP0GXWn1CIqmzqoEx138fQvhvULefF4RTkTY5x\n"
    "9+XdBXNov6sbMVHMtl/fRjRpgfBz9F796S6bBuJDNZKSVN6VjgRwjecRkxmrqHCL\n"
    "vdWcGWj9NDLZpPxOfG7Aw578RWMNjg67CEB5VPoYOKJQ8AGLMl5xM5PY9wKBgQC7\n"
    "oOe5I21FzEpWbcugV8FJQEoHasoyS8vOtMkILrUH49w7G8vc0RyUK5vfRIU4Pfsz\n"
    "n+Y2Y4vv0UkyFRIIfnAau7qbUyobkD3LmSTOFPgfwrhmwweuLPTF3iPV+UojtV+d\n"
    "DiTdZs83lAdmc1+19G0+2mP1P8MQ4tzzo9MN351msQKBgFIek+wDvhxVuFauTU2f\n"
    "LdN/ZOA0jcI5tEWHz2S7NbA7/UBqookCxze2I/B7Jxekh2PFuCLNK29pKj1vl1gB\n"
    "6tBdFPmfH5si54qQrUQh6HPMB9pSgptxZgP5DaiXn8KBmKFlaJsAG5Lg4Mku6nD1\n"
    "LwPZqSzTDBLacaSj3N8kPnVu\n"
    "-----END PRIVATE KEY-----\n"
    ;
#endif
