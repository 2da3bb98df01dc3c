// Small string helpers shared by every module. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace sremon {

std::vector<std::string_view> Split(std::string_view s, char sep);
std::string_view Trim(std::string_view s);
std::string ToLower(std::string_view s);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// Go's strconv.FormatFloat(v, 'g', -1, 64): the text exposition's number format.
// Appends to *out (hot path: no allocation when *out has capacity).
void AppendFloatG(std::string* out, double v);
std::string FormatFloatG(double v);
// The Prometheus HTTP API's sample value format: 'e' when |v| < 1e-6 or |v| >= 1e21, else 'f',
// shortest round-trip digits; "NaN", "+Inf", "-Inf".
std::string FormatFloatApi(double v);
// The same, appended to *out (hot path of the query API's JSON encoder).
void AppendFloatApi(std::string* out, double v);
// Go's strconv.FormatFloat(v, 'f', -1, 64): fixed notation, shortest round-trip digits padded
// with zeros (1e300 → "1" and 300 zeros, 1e-7 → "0.0000001"); "NaN", "+Inf", "-Inf".
void AppendFloatF(std::string* out, double v);

// Parses a float as Go's strconv.ParseFloat does for Prometheus inputs: decimal, exponent,
// hex (0x1p-2), and case-insensitive Inf, +Inf, -Inf, NaN. The whole string must be consumed.
Result<double> ParseFloat(std::string_view s);
Result<int64_t> ParseInt(std::string_view s);

// Length of the valid multi-byte UTF-8 sequence starting at s[i] (2..4), or 0 when there is none
// (ASCII, or invalid). Rejects overlong forms and surrogates, as Go's utf8.DecodeRuneInString.
size_t Utf8SequenceLength(std::string_view s, size_t i);
// Go's utf8.ValidString.
bool IsValidUtf8(std::string_view s);
// For words that go on the wire or into a command line as they are (URLs, paths, methods,
// service names): InvalidArgument "WHAT: byte N is not printable ASCII" unless every byte is
// 0x21..0x7e. Checked before the word is echoed in any message.
Status CheckPrintableAscii(std::string_view what, std::string_view s);

// Go's strconv.Quote / %q for error messages: "s" with \" \\ \n \t... escaped, control and
// invalid UTF-8 bytes as \xNN, valid UTF-8 kept. Use it instead of fmt's {:?}, which aborts on
// some invalid UTF-8 in Debian's libfmt 9 builds (found by the API fuzzer).
std::string Quote(std::string_view s);

// Escapes HTML special characters for server-rendered pages.
std::string HtmlEscape(std::string_view s);

}  // namespace sremon
