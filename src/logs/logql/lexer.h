// LogQL lexer: query text → tokens, as Loki's pkg/logql/syntax/lex.go splits it.
//
// Tokens are identifiers ([a-zA-Z_][a-zA-Z0-9_]*, keywords are decided by the parser from
// context, so `{json="x"}` is a valid selector), strings ("double quoted" with Go escapes, or
// `backticks`), numbers (1, 1.5, 1e3), durations (a number run into a unit: 5m, 1h30m, 1.5s,
// 250ms), and the operators below. White space is skipped; `#` starts a comment to end of line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"

namespace gnomon::logs::logql {

enum class TokenType : uint8_t {
  kEnd,  // end of input, "$end" in messages
  kIdentifier,
  kString,
  kNumber,
  kDuration,
  kLBrace,     // {
  kRBrace,     // }
  kLParen,     // (
  kRParen,     // )
  kLBracket,   // [
  kRBracket,   // ]
  kComma,      // ,
  kEq,         // =
  kNeq,        // !=
  kRe,         // =~
  kNre,        // !~
  kPipeExact,  // |=
  kPipeMatch,  // |~
  kPipe,       // |
  kCmpEq,      // ==
  kGt,         // >
  kGte,        // >=
  kLt,         // <
  kLte,        // <=
};

struct Token {
  TokenType type = TokenType::kEnd;
  size_t pos = 0;         // byte offset of the token's first character
  std::string_view text;  // as written
  std::string value;      // kString: the unquoted value
};

// How Loki's yacc parser names a token in "unexpected ..." messages: IDENTIFIER, STRING,
// NUMBER, DURATION, $end, or the operator itself ("}", "|=", ">=").
std::string TokenName(TokenType t);

// 1-based line and column (in characters) of byte offset `pos` in `query`.
void LineCol(std::string_view query, size_t pos, int* line, int* col);

// Loki's positioned parse error: "parse error at line L, col C: <message>".
Status ParseErrorAt(std::string_view query, size_t pos, std::string_view message);

// Splits the whole query. On success the last token is kEnd. Fails with a positioned error
// for an unterminated string ("literal not terminated"), a bad escape, or a character that
// starts no token ("syntax error: unexpected character '@'").
Result<std::vector<Token>> Lex(std::string_view query);

}  // namespace gnomon::logs::logql
