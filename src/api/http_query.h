// Request-target decoding for HttpServer: splits "/v1/jobs%2Fx?state=running&q=a+b" into a
// percent-decoded path and decoded query parameters. Pure functions, no I/O; any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace rota {

// Decodes %XX escapes; a malformed escape ("%4", "%zz") is kept as written. With `plus_is_space`
// (query strings, application/x-www-form-urlencoded) '+' becomes ' '.
std::string PercentDecode(std::string_view text, bool plus_is_space);

struct DecodedTarget {
  std::string path;                          // decoded, without query or fragment: "/v1/jobs"
  std::map<std::string, std::string> query;  // decoded; the last of repeated names wins
};

// Accepts origin-form ("/a?b=c") and absolute-form ("http://host/a?b=c") targets; an empty path
// becomes "/". "a&b=" gives {"a": "", "b": ""}.
DecodedTarget DecodeTarget(std::string_view target);

}  // namespace rota
