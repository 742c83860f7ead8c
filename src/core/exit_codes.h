// The process exit codes of DESIGN section 4, shared by every verb, `rota run` and `rota server`
// (one copy: there were four). They are part of the contract: scripts test them.
#pragma once

namespace rota {

constexpr int kExitOk = 0;           // all succeeded / the request was done
constexpr int kExitFailed = 1;       // a task or job failed, was cancelled, or the wait timed out;
                                     // also an unknown job (404) or a refused request (409)
constexpr int kExitUsage = 2;        // invalid spec, flag or request (400)
constexpr int kExitUnreachable = 3;  // server unreachable, or it answered with a 5xx; for
                                     // `rota server`: it cannot listen or open its store
constexpr int kExitInterrupted = 130;

}  // namespace rota
