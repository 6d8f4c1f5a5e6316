#include "internal.h"
void keel_conn_free(keel_conn *c);
void keel_conn_free(keel_conn *c) { (void)c; }
