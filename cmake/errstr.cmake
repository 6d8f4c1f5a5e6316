# Generates the reason-string table from include/openssl/sslerr.h: SSL_R_NO_SHARED_CIPHER becomes
# "no shared cipher", the form OpenSSL's error strings take, so ERR_error_string_n reads the same.
file(STRINGS ${IN} lines REGEX "^#[ ]*define[ ]+SSL_R_[A-Z0-9_]+[ ]+[0-9]+")
set(body "/* Generated from include/openssl/sslerr.h by cmake/errstr.cmake. */\n")
foreach(l IN LISTS lines)
  string(REGEX REPLACE "^#[ ]*define[ ]+SSL_R_([A-Z0-9_]+)[ ]+([0-9]+).*$" "\\1" name "${l}")
  string(REGEX REPLACE "^#[ ]*define[ ]+SSL_R_([A-Z0-9_]+)[ ]+([0-9]+).*$" "\\2" num "${l}")
  string(TOLOWER "${name}" text)
  string(REPLACE "_" " " text "${text}")
  string(APPEND body "{ ERR_PACK(ERR_LIB_SSL, 0, ${num}), \"${text}\" },\n")
endforeach()
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
