// Internals of the template engine (template.h): values, the lexer's tokens, the parse
// tree, the executor and the function table. Not part of any public API.
//
// Contract between the pieces: Lex turns the whole text into tokens, ending with kEOF or with
// one kError token (the first lexical error). ParseTree builds the template set from them: the
// top-level tree under the parse name plus one tree per {{define}} and {{block}}, checking what Go
// checks at parse time (known functions, declared variables, break/continue inside range, depth
// at most kMaxDepth, no name defined twice). Run executes the set's top-level tree against
// TemplateData; {{template}} looks names up in the same set at run time. Errors inside the parser and
// executor travel as TemplateError exceptions (as Go's text/template uses panic/recover) and are
// caught and turned into Status by template.cc; nothing throws past that boundary.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gotemplate/go_format.h"
#include "gotemplate/template.h"

namespace gnomon::gotemplate::tmpl {

inline constexpr size_t kMaxOutputBytes = 1 << 20;  // output (and any one string value) limit
inline constexpr int kMaxDepth = 100;                // nesting of blocks and parentheses
// Execution nesting. Go stops at 100000 {{template}} calls deep (exec.go's maxExecDepth; 1000 on
// wasm, where stacks are small). Here each {{template}} call and each if/with/range body being
// executed counts one, and the limit is 1000, so that the C++ stack stays bounded whatever a
// template nests: at most about 0.8 MiB in a release build and 2.2 MiB under ASan (measured with
// range bodies, the largest frames), well inside an 8 MiB thread stack, instead of overflowing.
// A runaway recursion fails with Go's "exceeded maximum template depth (1000)".
inline constexpr int kMaxExecDepth = 1000;

struct TemplateError {
  std::string message;
};

// ---- values ---------------------------------------------------------------------------------

struct Value;
using StringMap = std::map<std::string, std::string>;
using AnyMap = std::map<std::string, Value>;
using SampleList = std::vector<std::shared_ptr<const QuerySample>>;

// A Go value as templates see it. kNil is an invalid/nil value ("<no value>" when printed).
struct Value {
  enum class Kind : unsigned char {
    kNil, kBool, kInt, kFloat, kString, kHtml, kStringMap, kAnyMap, kSamples, kSample, kTime, kData
  };
  Kind kind = Kind::kNil;
  bool b = false;
  int64_t i = 0;  // kInt; kTime: Unix nanoseconds
  double f = 0;
  std::string s;  // kString, kHtml
  std::shared_ptr<const StringMap> smap;
  std::shared_ptr<const AnyMap> amap;
  std::shared_ptr<const SampleList> samples;
  std::shared_ptr<const QuerySample> sample;  // kSample: null is a nil *sample
  const TemplateData* data = nullptr;

  static Value Nil() { return Value(); }
  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Float(double v);
  static Value String(std::string v);
  static Value Html(std::string v);
  static Value Time(int64_t unix_nanos);
  static Value Samples(std::shared_ptr<const SampleList> v);
  static Value Sample(std::shared_ptr<const QuerySample> v);
  static Value Map(std::shared_ptr<const StringMap> v);
  static Value Any(std::shared_ptr<const AnyMap> v);
  bool is_string_kind() const { return kind == Kind::kString || kind == Kind::kHtml; }
};

std::string TypeName(const Value& v);  // Go's reflect type name, for error texts
bool IsTrue(const Value& v);           // Go's truth: false, 0, "", nil, empty map/slice are false
GoArg ToGoArg(const Value& v);         // the operand fmt sees
std::string PrintValue(const Value& v);  // what {{ x }} writes (printableValue + fmt.Fprint)
std::string GoTimeString(int64_t unix_nanos);  // time.Time.String() in UTC

// ---- tokens -----------------------------------------------------------------------------------

enum class Tok : unsigned char {
  kError, kEOF, kText, kLeftDelim, kRightDelim, kSpace, kBool, kChar, kCharConstant, kAssign, kDeclare,
  kField, kIdentifier, kLeftParen, kRightParen, kNumber, kPipe, kRawString, kString, kVariable,
  // keywords
  kBlock, kBreak, kContinue, kDot, kDefine, kElse, kEnd, kIf, kNil, kRange, kTemplate, kWith,
};

struct Token {
  Tok type = Tok::kEOF;
  size_t pos = 0;
  std::string val;
  int line = 1;
};

std::vector<Token> Lex(std::string_view text);
std::string TokenString(const Token& t);  // Go's item.String(): "EOF", "<if>", "\"}\"", ...

// ---- parse tree -------------------------------------------------------------------------------

// kTemplate is {{template "name" pipeline}}, also what {{block}} leaves in place.
enum class NodeType : unsigned char {
  kText, kAction, kIf, kWith, kRange, kList, kBreak, kContinue, kPipe, kCommand,
  kField, kVariable, kChain, kIdentifier, kDot, kNil, kBool, kNumber, kString, kTemplate,
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeType type;
  size_t pos = 0;
  std::string text;                 // kText; kString/kNumber: source text; kIdentifier, kTemplate: name
  std::string str;                  // kString: unquoted value
  std::vector<std::string> idents;  // kField/kChain: field names; kVariable: "$x" then fields
  std::vector<NodePtr> children;    // kList: items; kPipe: commands; kCommand: args
  std::vector<NodePtr> decl;        // kPipe: declared variables
  NodePtr pipe, body, else_body;    // kAction: pipe; kIf/kWith/kRange: all three; kChain: body;
                                    // kTemplate: pipe (null when the call has no pipeline)
  bool is_assign = false;           // kPipe: `=` rather than `:=`
  bool bool_val = false;
  // kNumber
  bool is_int = false, is_float = false, is_float_literal = false;
  int64_t int_val = 0;
  double float_val = 0;

  Node(NodeType t, size_t p) : type(t), pos(p) {}
};

std::string NodeString(const Node& n);  // Go's Node.String(), for error contexts
bool IsEmptyTree(const Node& n);        // Go's parse.IsEmptyTree: only white space text

// The templates one parse defines, by name: the top-level tree under the parse name, and one tree
// per {{define "name"}} or {{block "name" ...}}.
using TreeSet = std::map<std::string, NodePtr, std::less<>>;

// Go literals (template_literals.cc). Each returns false if `lit` is not valid Go syntax.
bool Unquote(std::string_view lit, std::string* out);        // "..." or `...`
bool UnquoteChar(std::string_view lit, int64_t* rune);       // 'x'
bool ParseGoInt(std::string_view s, bool* neg, uint64_t* mag);  // base 0, optional sign

// Parses the full text (header included) into its template set, the top-level tree under `name`;
// throws TemplateError("template: NAME:LINE: ..."), e.g. for a name defined twice.
TreeSet ParseTree(std::string_view name, std::string_view text);

// ---- functions --------------------------------------------------------------------------------

// How a parameter takes its argument (Go's evalArg by the parameter's type).
enum class Param : unsigned char { kAny, kString, kFloat, kSample, kSamples };

class ExecState;

struct FuncSpec {
  const char* name;
  std::vector<Param> params;  // fixed parameters
  bool variadic = false;      // further arguments of type `variadic_param`
  Param variadic_param = Param::kAny;
  // Returns the value, or fails with Go's error text (wrapped as "error calling NAME: ...").
  Value (*fn)(ExecState& st, std::vector<Value>& args, std::string* error);
};

const FuncSpec* FindFunction(std::string_view name);  // builtins and Prometheus' functions
const std::vector<FuncSpec>& GoBuiltins();           // template_builtins.cc
const std::vector<FuncSpec>& PrometheusFunctions();  // template_functions.cc
std::string QueryEscape(std::string_view s);         // url.QueryEscape (template_builtins.cc)

// ---- execution --------------------------------------------------------------------------------

// Executes the tree named `name` in `trees` (ParseTree's result); `text` is the parsed text (for
// line:column in errors). Throws TemplateError.
std::string Run(std::string_view name, std::string_view text, const TreeSet& trees, const TemplateData& data,
                const QueryFunc& query);

// What functions may need from the running template.
class ExecState {
 public:
  ExecState(const TemplateData& data, const QueryFunc& query) : data_(data), query_(query) {}
  const TemplateData& data() const { return data_; }
  const QueryFunc& query() const { return query_; }

 private:
  const TemplateData& data_;
  const QueryFunc& query_;
};

}  // namespace gnomon::gotemplate::tmpl
