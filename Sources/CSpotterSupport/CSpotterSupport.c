// The module is header-only (static inline functions); SwiftPM needs one source file to build a C target.
#include "CSpotterSupport.h"
