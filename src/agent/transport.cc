#include "agent/transport.h"

namespace rota::agent {

bool IsTransient(const Error& error) {
  return error.code == kUnreachable || error.code == kTimeout || error.code == kServerError ||
         error.code == kCancelled;
}

}  // namespace rota::agent
