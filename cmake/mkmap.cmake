# Turns abi/exports.txt (one symbol per line) into a GNU ld version script.
file(STRINGS ${IN} names REGEX "^[A-Za-z_][A-Za-z0-9_]*$")
set(body "OPENSSL_3.0.0 {\n  global:\n")
foreach(n IN LISTS names)
  string(APPEND body "    ${n};\n")
endforeach()
string(APPEND body "  local: *;\n};\n")
file(WRITE ${OUT} "${body}")
