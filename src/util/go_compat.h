// Go standard-library behaviours that sremon reproduces byte for byte, in one tested place:
// regexp.Expand (relabeling, label_replace), strconv.Unquote/UnquoteChar (PromQL, templates) and
// encoding/json's string encoding (all JSON written by hand). Go's Quote/%q is util::Quote and
// its float formats AppendFloat* in util/strings.h.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/status.h"

namespace re2 {
class RE2;
}

namespace sremon {

// Go's (*regexp.Regexp).Expand: `tmpl` with $$ -> $, and $name or ${name} -> the submatch.
// A name is the longest run of letters, digits and '_' (Unicode classes, as Go), so `$1x` means
// `${1x}`. Digits only, without a leading zero and at most 9 of them, name a group by number;
// anything else names a named group of `re`. An unknown group, one beyond `groups` or one that
// did not participate expands to nothing; a `$` that starts no valid reference stays as it is.
// groups[i] is submatch i (groups[0] the whole match).
std::string RegexpExpand(std::string_view tmpl, const re2::RE2& re, std::span<const std::string_view> groups);

// Go's strconv.UnquoteChar: decodes the first character or escape of `s`, a string quoted with
// `quote`. `value` is a code point, or a raw byte for \x and octal escapes (multibyte false);
// invalid UTF-8 decodes as U+FFFD. `rest` is what follows in `s`.
struct UnquotedChar {
  uint32_t value;
  bool multibyte;
  std::string_view rest;
};
Result<UnquotedChar> UnquoteChar(std::string_view s, char quote);

// Go's strconv.Unquote: `s` with its quotes, "..." (escapes; invalid UTF-8 becomes U+FFFD),
// '...' (exactly one character) or `...` (raw, carriage returns dropped). Error "invalid syntax".
Result<std::string> Unquote(std::string_view s);

// Prometheus's util/strutil.Unquote, the PromQL string literal: as Unquote, except that '...'
// holds a string like "...", and raw strings keep their carriage returns. A literal without
// escapes is returned as it is (invalid UTF-8 too, as Prometheus does).
Result<std::string> UnquotePromQL(std::string_view s);

// Go's encoding/json string encoding, appended to *out with the quotes: \" \\ \n \r \t, other
// control characters as \u00XX, U+2028/U+2029 escaped, and each byte of invalid UTF-8 replaced
// by \ufffd, so the output is always valid JSON. AppendJsonString is a json.Encoder with
// SetEscapeHTML(false); AppendJsonStringHtmlSafe is json.Marshal (also < > & as \u003c...), what
// the Prometheus API answers. Hot paths (export, query API): runs of plain bytes are copied at once.
void AppendJsonString(std::string* out, std::string_view s);
void AppendJsonStringHtmlSafe(std::string* out, std::string_view s);

}  // namespace sremon
