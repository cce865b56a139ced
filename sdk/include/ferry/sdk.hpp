// Everything a plugin author needs: include this one header.
#pragma once

#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/host.hpp"
#include "ferry/sdk/http.hpp"
#include "ferry/sdk/plugin.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"
#include "ferry/sdk/version.hpp"
