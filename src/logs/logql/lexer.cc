#include "logs/logql/lexer.h"

#include <cstdio>

#include "query/promql/lexer.h"

namespace gnomon::logs::logql {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsUnitByte(char c) { return (c >= 'a' && c <= 'z') || c == '\xC2' || c == '\xB5' || c == '\xCE' || c == '\xBC'; }

}  // namespace

std::string TokenName(TokenType t) {
  switch (t) {
    case TokenType::kEnd: return "$end";
    case TokenType::kIdentifier: return "IDENTIFIER";
    case TokenType::kString: return "STRING";
    case TokenType::kNumber: return "NUMBER";
    case TokenType::kDuration: return "DURATION";
    case TokenType::kLBrace: return "{";
    case TokenType::kRBrace: return "}";
    case TokenType::kLParen: return "(";
    case TokenType::kRParen: return ")";
    case TokenType::kLBracket: return "[";
    case TokenType::kRBracket: return "]";
    case TokenType::kComma: return ",";
    case TokenType::kEq: return "=";
    case TokenType::kNeq: return "!=";
    case TokenType::kRe: return "=~";
    case TokenType::kNre: return "!~";
    case TokenType::kPipeExact: return "|=";
    case TokenType::kPipeMatch: return "|~";
    case TokenType::kPipe: return "|";
    case TokenType::kCmpEq: return "==";
    case TokenType::kGt: return ">";
    case TokenType::kGte: return ">=";
    case TokenType::kLt: return "<";
    case TokenType::kLte: return "<=";
  }
  return "?";
}

void LineCol(std::string_view query, size_t pos, int* line, int* col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < pos && i < query.size(); ++i) {
    if (query[i] == '\n') {
      ++*line;
      *col = 1;
    } else if ((static_cast<unsigned char>(query[i]) & 0xC0) != 0x80) {
      ++*col;  // count characters, not UTF-8 continuation bytes
    }
  }
}

Status ParseErrorAt(std::string_view query, size_t pos, std::string_view message) {
  int line, col;
  LineCol(query, pos, &line, &col);
  return Status::InvalidArgument("parse error at line " + std::to_string(line) + ", col " + std::to_string(col) + ": " +
                                 std::string(message));
}

Result<std::vector<Token>> Lex(std::string_view q) {
  std::vector<Token> out;
  size_t i = 0;
  auto emit = [&](TokenType t, size_t start, size_t len) {
    Token tok;
    tok.type = t;
    tok.pos = start;
    tok.text = q.substr(start, len);
    out.push_back(std::move(tok));
    i = start + len;
  };
  while (true) {
    while (i < q.size()) {
      char c = q[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '#') {
        while (i < q.size() && q[i] != '\n') ++i;
      } else {
        break;
      }
    }
    if (i >= q.size()) {
      emit(TokenType::kEnd, q.size(), 0);
      return out;
    }
    size_t start = i;
    char c = q[i];
    char n = i + 1 < q.size() ? q[i + 1] : '\0';
    if (c == '"' || c == '`') {
      Token tok;
      size_t consumed = 0;
      Status st = promql::UnquoteStringLiteral(q.substr(i), &tok.value, &consumed);
      if (!st.ok()) {
        if (st.message().find("unterminated") != std::string::npos) {
          return ParseErrorAt(q, start, "literal not terminated");
        }
        return ParseErrorAt(q, start, st.message());
      }
      tok.type = TokenType::kString;
      tok.pos = start;
      tok.text = q.substr(start, consumed);
      out.push_back(std::move(tok));
      i = start + consumed;
      continue;
    }
    if (IsAlpha(c)) {
      size_t j = i;
      while (j < q.size() && IsAlnum(q[j])) ++j;
      emit(TokenType::kIdentifier, start, j - start);
      continue;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(n))) {
      size_t j = i;
      while (j < q.size() && (IsDigit(q[j]) || q[j] == '.')) ++j;
      if (j < q.size() && (q[j] == 'e' || q[j] == 'E') && j + 1 < q.size() &&
          (IsDigit(q[j + 1]) || ((q[j + 1] == '+' || q[j + 1] == '-') && j + 2 < q.size() && IsDigit(q[j + 2])))) {
        j += 2;
        while (j < q.size() && IsDigit(q[j])) ++j;
        emit(TokenType::kNumber, start, j - start);
        continue;
      }
      if (j < q.size() && IsUnitByte(q[j])) {
        // A duration: alternating number and unit runs, e.g. 1h30m, 1.5s, 10µs.
        while (j < q.size() && (IsUnitByte(q[j]) || IsDigit(q[j]) || q[j] == '.')) ++j;
        emit(TokenType::kDuration, start, j - start);
        continue;
      }
      emit(TokenType::kNumber, start, j - start);
      continue;
    }
    switch (c) {
      case '{': emit(TokenType::kLBrace, start, 1); continue;
      case '}': emit(TokenType::kRBrace, start, 1); continue;
      case '(': emit(TokenType::kLParen, start, 1); continue;
      case ')': emit(TokenType::kRParen, start, 1); continue;
      case '[': emit(TokenType::kLBracket, start, 1); continue;
      case ']': emit(TokenType::kRBracket, start, 1); continue;
      case ',': emit(TokenType::kComma, start, 1); continue;
      case '=':
        if (n == '~')
          emit(TokenType::kRe, start, 2);
        else if (n == '=')
          emit(TokenType::kCmpEq, start, 2);
        else
          emit(TokenType::kEq, start, 1);
        continue;
      case '!':
        if (n == '=') {
          emit(TokenType::kNeq, start, 2);
          continue;
        }
        if (n == '~') {
          emit(TokenType::kNre, start, 2);
          continue;
        }
        break;
      case '|':
        if (n == '=')
          emit(TokenType::kPipeExact, start, 2);
        else if (n == '~')
          emit(TokenType::kPipeMatch, start, 2);
        else
          emit(TokenType::kPipe, start, 1);
        continue;
      case '>':
        if (n == '=')
          emit(TokenType::kGte, start, 2);
        else
          emit(TokenType::kGt, start, 1);
        continue;
      case '<':
        if (n == '=')
          emit(TokenType::kLte, start, 2);
        else
          emit(TokenType::kLt, start, 1);
        continue;
      default: break;
    }
    std::string shown;
    if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F) {
      shown = std::string("'") + c + "'";
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
      shown = buf;
    }
    return ParseErrorAt(q, start, "syntax error: unexpected character " + shown);
  }
}

}  // namespace gnomon::logs::logql
