// SDK version and ABI handshake value.
#pragma once

#include <cstdint>

namespace ferry::sdk {

// Bumped whenever any type a plugin sees changes layout or meaning. The host refuses a plugin
// whose descriptor carries another value, before reading any other field of the descriptor.
inline constexpr std::uint32_t kAbiVersion = 2;

// Human-facing SDK version (semver). Minor bumps add things without breaking the ABI.
inline constexpr const char* kSdkVersion = "2.0.0";

}  // namespace ferry::sdk
