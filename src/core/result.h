#pragma once
// Errors cross module borders as values: Result<T> = tl::expected<T, Error>.

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace riposte {

// An error with a stable machine-readable code (for example an AWS error code such as
// "InvalidInstanceID.NotFound", a States Language error such as "States.Runtime", or a
// riposte code such as "InvalidInput") and a human-readable message saying what and where.
struct Error {
  std::string code;
  std::string message;

  Error() = default;
  Error(std::string c, std::string m) : code(std::move(c)), message(std::move(m)) {}

  std::string str() const { return code.empty() ? message : code + ": " + message; }
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(std::string code, std::string message) {
  return tl::unexpected<Error>(Error{std::move(code), std::move(message)});
}
inline tl::unexpected<Error> fail(Error e) {
  return tl::unexpected<Error>(std::move(e));
}

}  // namespace riposte
