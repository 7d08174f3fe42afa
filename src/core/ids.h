#pragma once
#include <string>

namespace riposte {

// A random RFC 4122 version-4 UUID ("0b3c…-4…-…"), from a per-thread CSPRNG-seeded engine.
std::string newUuid();
// A sortable id: "<prefix>-<13 hex of epoch ms><12 random hex>" (e.g. "inc-018c…").
std::string newId(const std::string& prefix);

}  // namespace riposte
