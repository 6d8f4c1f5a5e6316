/* Differential probe (tests/diff/run.sh): the key log's lines in OpenSSL 3.0's order for TLS 1.3
 * (with and without HelloRetryRequest, resumed, with KeyUpdate: CLIENT_/SERVER_TRAFFIC_SECRET_N)
 * and TLS 1.2 (full, resumed, renegotiated), and SSL_alert_desc_string[_long] / SSL_alert_type_string[_long] for every code (issue #16
 * item 16). The full callback probe, message and info callbacks included, is
 * tests/diff/callbacks.c. */
#define CB_KEYLOG_ONLY 1
#include "callbacks.c"
