#ifndef RELAYGUARD_CRESOLV_SHIM_H
#define RELAYGUARD_CRESOLV_SHIM_H
/* libresolv: query construction (res_nmkquery) and answer parsing (ns_initparse, ns_parserr). */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#endif
