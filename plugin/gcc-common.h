/* GCC plugin headers in the order GCC needs them, plus the version shims.
 * Like the Linux kernel's scripts/gcc-plugins/gcc-common.h: every difference
 * between GCC releases is absorbed here, nowhere else.  Only middle-end
 * headers: the same .so must load in cc1, cc1plus and lto1. */
#ifndef FM_GCC_COMMON_H
#define FM_GCC_COMMON_H

#include "gcc-plugin.h"
#include "bversion.h"
#include "config.h"
#include "system.h"
#include "coretypes.h"
#include "tree.h"
#include "tree-pass.h"
#include "context.h"
#include "function.h"
#include "basic-block.h"
#include "cfgloop.h"
#include "dominance.h"
#include "gimple.h"
#include "gimple-iterator.h"
#include "gimple-ssa.h"
#include "tree-phinodes.h"
#include "ssa-iterators.h"
#include "stringpool.h"
#include "value-range.h"
#include "tree-ssanames.h"
#include "langhooks.h"
#include "diagnostic-core.h"
#include "output.h"
#include "options.h"
#include "input.h"
#include "builtins.h"
#include "cgraph.h"
#include "ipa-utils.h"
#include "calls.h"
#include "attribs.h"
#include "internal-fn.h"

#define FM_GCC_VERSION (BUILDING_GCC_MAJOR * 1000 + BUILDING_GCC_MINOR)
#define FM_STR2(x) #x
#define FM_STR(x) FM_STR2(x)
#define FM_GCC_VERSION_STRING \
    FM_STR(BUILDING_GCC_MAJOR) "." FM_STR(BUILDING_GCC_MINOR) "." FM_STR(BUILDING_GCC_PATCHLEVEL)

#if FM_GCC_VERSION < 11000
#error "flowmage's plugin needs GCC 11 or newer (Debian 12 ships GCC 12)"
#endif

/* gimple_call_fntype / obj_type_ref_class have been stable since GCC 11;
 * add shims here when a newer GCC changes them. */

#endif
