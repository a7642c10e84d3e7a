// PromQL lexer: query text → tokens, following Prometheus' promql/parser/lex.go.
//
// The lexer is a pull scanner with modes: inside `{...}` it lexes label matchers (identifiers are
// never keywords there), right after `[` it expects a duration, and inside `[...]` a single `:`
// separates a subquery's range and step. Keywords are case-insensitive (`SUM`, `And`, `OFFSET`),
// and so are the special numbers `Inf` and `NaN`. Comments (`# ...` to the end of the line) and
// white space are skipped. After an error token the lexer only returns end-of-input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::promql {

// Decodes the PromQL (Go) string literal at the start of `text`, opening quote included:
// "double" or 'single' quotes with escapes (\n \t \\ \" \' \xFF \u1234 \U0001F600 \101), or `raw`
// backticks. On success stores the value and the number of bytes consumed; kInvalidArgument
// saying what is wrong otherwise ("unterminated quoted string", "unknown escape sequence \q").
Status UnquoteStringLiteral(std::string_view text, std::string* value, size_t* consumed);

enum class TokenType : uint8_t {
  kEOF,
  kError,  // `value` holds the message
  kIdentifier,
  kMetricIdentifier,  // an identifier that contains ':'
  kNumber,
  kDuration,
  kString,  // `value` holds the unquoted string
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kEql,  // `=` (label matching)
  kColon,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,  // ==
  kNeq,   // !=
  kLss,
  kGtr,
  kLte,
  kGte,
  kEqlRegex,  // =~
  kNeqRegex,  // !~
  kAt,
  kAtan2,
  kLand,
  kLor,
  kLunless,
  // Aggregators.
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  // Keywords.
  kBool,
  kBy,
  kGroupLeft,
  kGroupRight,
  kIgnoring,
  kOffset,
  kOn,
  kWithout,
  // @ modifier preprocessors.
  kStart,
  kEnd,
};

bool IsOperatorToken(TokenType t);    // kAdd..kLunless
bool IsAggregatorToken(TokenType t);  // kSum..kQuantile
bool IsKeywordToken(TokenType t);     // kBool..kWithout

struct Token {
  TokenType type = TokenType::kEOF;
  size_t pos = 0;         // byte offset of the token's first character
  std::string_view text;  // the token as written (a view into the query)
  std::string value;      // kString: unquoted value; kError: the message
};

// How Prometheus names a token in "unexpected ..." messages: `identifier "foo"`, `<op:*>`,
// `<aggr:sum>`, `<by>`, `number "1"`, `"("`, `end of input`.
std::string DescribeToken(const Token& t);

class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {}

  // The next token; kEOF at the end and forever after an error.
  Token Next();

 private:
  Token Emit(TokenType type);
  Token Error(std::string message);
  Token LexStatement();
  Token LexInsideBraces();
  Token LexDuration();
  Token LexNumberOrDuration();
  Token LexIdentifier(bool keywords);
  Token LexString();
  // Skips spaces and comments; returns false at end of input.
  bool SkipSpaceAndComments();
  bool ScanNumber();
  bool AcceptRemainingDuration();
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  int Peek() const { return pos_ < input_.size() ? static_cast<unsigned char>(input_[pos_]) : -1; }

  std::string_view input_;
  size_t pos_ = 0;
  size_t start_ = 0;
  bool done_ = false;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  bool expect_duration_ = false;  // right after `[`
};

}  // namespace gnomon::promql
