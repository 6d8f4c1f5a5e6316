# Included by CMakeLists.txt and fuzz/CMakeLists.txt (after find_package(OpenSSL)); sets
# KEEL_DEFAULT_SECURITY_LEVEL for src/settings/settings.c.
# The default security level is the system libssl's compiled-in one (Debian builds OpenSSL 3.0
# with 2; upstream's is 1): SSL_CTX_set_security_level(3). Probed against the system libssl with
# its configuration file ignored; OpenSSL's upstream default 1 only if the probe cannot run.
try_run(KEEL_SECLEVEL_RUN KEEL_SECLEVEL_COMPILE ${CMAKE_BINARY_DIR}/seclevel_probe
  ${CMAKE_CURRENT_LIST_DIR}/seclevel_probe.c
  LINK_LIBRARIES OpenSSL::SSL OpenSSL::Crypto
  RUN_OUTPUT_VARIABLE KEEL_SECLEVEL_OUT)
if(KEEL_SECLEVEL_COMPILE AND KEEL_SECLEVEL_RUN EQUAL 0 AND KEEL_SECLEVEL_OUT MATCHES "^[0-5]$")
  set(KEEL_DEFAULT_SECURITY_LEVEL ${KEEL_SECLEVEL_OUT})
else()
  message(WARNING "could not probe the system libssl's default security level; using 1")
  set(KEEL_DEFAULT_SECURITY_LEVEL 1)
endif()
message(STATUS "default security level: ${KEEL_DEFAULT_SECURITY_LEVEL}")
