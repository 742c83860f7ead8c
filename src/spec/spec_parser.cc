#include "spec/spec_parser.h"

namespace rota {

ParsedSpec ParseSpec(std::string_view, std::string_view source) {
  ParsedSpec out;
  out.job.source = std::string(source);
  out.errors.push_back(MakeError("unimplemented", "spec parsing is not written yet"));
  return out;
}

}  // namespace rota
