//===- InitAllTranslations.cpp - attn-translate registrations -------------===//

#include "attn/InitAllTranslations.h"

void mlir::attn::registerAllTranslations() {}
