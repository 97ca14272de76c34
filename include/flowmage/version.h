/* flowmage — the version, in one place: the CLI (--version), every file it
 * writes ("generator"), the HTTP user agent and the GCC plugin's
 * plugin_info all take it from here.  docs/flowmage.1 repeats it in its .TH
 * line; tests/sh/test_cli.sh checks that the two agree. */
#ifndef FLOWMAGE_VERSION_H
#define FLOWMAGE_VERSION_H

#define FM_VERSION "0.1.0"

#endif
