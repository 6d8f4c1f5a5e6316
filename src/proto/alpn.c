/* ALPN protocol lists on the wire (RFC 7301 §3.1): non-empty 8-bit-length-prefixed names, none
 * empty. Used by the settings API and the extension parser alike. */
#include "internal.h"

int keel_alpn_check(const unsigned char *p, unsigned int len)
{
    unsigned int i = 0;
    if (len == 0)
        return 0;
    while (i < len) {
        if (p[i] == 0 || p[i] > len - i - 1)
            return 0;
        i += 1u + p[i];
    }
    return 1;
}
