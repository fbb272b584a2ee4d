// Decoding of the AEA auth data (docs/formats/aea.md §3): a property list, key/value records, or
// an opaque blob. Private to formats/aea.
#pragma once

#include "aea/aea.hpp"

namespace upscope::aea {

// Fills kind, plist/pairs, key_url and the Shortcuts fields from auth.bytes. Never fails: what
// does not decode stays a blob (with a note saying why).
void decode_auth_data(AuthData& auth);

}  // namespace upscope::aea
