// The template parser: Go's text/template/parse/parse.go over the token vector from Lex. It
// builds the tree and makes Go's parse-time checks: functions must exist, variables must be
// declared (a declaration lasts to the end of its control structure), break/continue only inside
// range, else/end only where they belong. {{define "name"}} (top level only) and {{block "name"
// pipeline}} (anywhere) add a tree to the set under their name, parsed with fresh variables ("$"
// only) as Go does; {{template "name" [pipeline]}} becomes a kTemplate node, resolved at run time.
// A name defined twice with non-empty bodies is Go's "multiple definition of template" error.
#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "gotemplate/template_internal.h"

namespace gnomon::gotemplate::tmpl {
namespace {

struct Item {  // what textOrAction returns: a node, or an {{end}} / {{else}} marker
  enum class Kind { kNode, kEnd, kElse } kind = Kind::kNode;
  NodePtr node;
  size_t pos = 0;
};

class Parser {
 public:
  Parser(std::string_view name, std::vector<Token> toks) : name_(name), toks_(std::move(toks)) {}

  TreeSet Parse() {
    auto root = std::make_unique<Node>(NodeType::kList, 0);
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        size_t save = i_;
        Next();
        if (NextNonSpace().type == Tok::kDefine) {
          Definition();
          continue;
        }
        i_ = save;
      }
      Item item = TextOrAction();
      if (item.kind == Item::Kind::kEnd) Errorf("unexpected {{end}}");
      if (item.kind == Item::Kind::kElse) Errorf("unexpected {{else}}");
      root->children.push_back(std::move(item.node));
    }
    Add(std::string(name_), std::move(root));
    return std::move(trees_);
  }

 private:
  [[noreturn]] void Errorf(const std::string& msg) {
    throw TemplateError{"template: " + std::string(name_) + ":" + std::to_string(line_) + ": " + msg};
  }
  [[noreturn]] void Unexpected(const Token& t, const std::string& context) {
    if (t.type == Tok::kError) Errorf(t.val);
    Errorf("unexpected " + TokenString(t) + " in " + context);
  }

  const Token& At(size_t i) const { return toks_[std::min(i, toks_.size() - 1)]; }
  const Token& Next() {
    const Token& t = At(i_++);
    line_ = t.line;
    return t;
  }
  void Backup() { --i_; }
  const Token& Peek() const { return At(i_); }
  const Token& NextNonSpace() {
    while (true) {
      const Token& t = Next();
      if (t.type != Tok::kSpace) return t;
    }
  }
  const Token& PeekNonSpace() {
    const Token& t = NextNonSpace();
    Backup();
    return t;
  }
  const Token& Expect(Tok type, const std::string& context) {
    const Token& t = NextNonSpace();
    if (t.type != type) Unexpected(t, context);
    return t;
  }
  void Enter() {
    if (++depth_ > kMaxDepth) Errorf("max expression depth exceeded");
  }

  // Go's Tree.add: a name may be defined again only if one of the two bodies is empty (white
  // space), and an empty body never replaces a non-empty one.
  void Add(const std::string& name, NodePtr root) {
    auto it = trees_.find(name);
    if (it == trees_.end() || IsEmptyTree(*it->second)) {
      trees_[name] = std::move(root);
      return;
    }
    if (!IsEmptyTree(*root)) Errorf("template: multiple definition of template " + GoQuote(name));
  }

  // The name of a define, block or template clause: a quoted string.
  std::string TemplateName(const Token& t, const std::string& context) {
    if (t.type != Tok::kString && t.type != Tok::kRawString) Unexpected(t, context);
    std::string name;
    if (!Unquote(t.val, &name)) Errorf("invalid syntax");
    return name;
  }

  // A body of its own (define, block): Go parses it as a new tree, so it sees only "$" and is not
  // inside any range. Nesting depth still counts, so that blocks in blocks stay bounded.
  NodePtr DefinitionBody(const std::string& context) {
    Enter();
    std::vector<std::string> outer_vars = std::exchange(vars_, {"$"});
    int outer_range_depth = std::exchange(range_depth_, 0);
    Item end;
    NodePtr body = ItemList(&end);
    if (end.kind != Item::Kind::kEnd) Errorf("unexpected {{else}} in " + context);
    vars_ = std::move(outer_vars);
    range_depth_ = outer_range_depth;
    --depth_;
    return body;
  }

  // {{define "name"}} list {{end}}, after "{{define".
  void Definition() {
    const std::string context = "define clause";
    std::string name = TemplateName(NextNonSpace(), context);
    Expect(Tok::kRightDelim, context);
    NodePtr body = DefinitionBody(context);
    Add(name, std::move(body));
  }

  // {{template "name"}} or {{template "name" pipeline}}, after "{{template".
  NodePtr TemplateControl() {
    const std::string context = "template clause";
    const Token& t = NextNonSpace();
    auto node = std::make_unique<Node>(NodeType::kTemplate, t.pos);
    node->text = TemplateName(t, context);
    if (NextNonSpace().type != Tok::kRightDelim) {
      Backup();
      node->pipe = Pipeline(context, Tok::kRightDelim);  // its variables persist, as in Go
    }
    return node;
  }

  // {{block "name" pipeline}} list {{end}}: defines "name" and calls it here with the pipeline.
  NodePtr BlockControl() {
    const std::string context = "block clause";
    const Token& t = NextNonSpace();
    auto node = std::make_unique<Node>(NodeType::kTemplate, t.pos);
    node->text = TemplateName(t, context);
    node->pipe = Pipeline(context, Tok::kRightDelim);
    NodePtr body = DefinitionBody(context);
    Add(node->text, std::move(body));
    return node;
  }

  Item TextOrAction() {
    const Token& t = NextNonSpace();
    if (t.type == Tok::kText) {
      Item item;
      item.node = std::make_unique<Node>(NodeType::kText, t.pos);
      item.node->text = t.val;
      return item;
    }
    if (t.type == Tok::kLeftDelim) return Action();
    Unexpected(t, "input");
  }

  Item Action() {
    const Token& t = NextNonSpace();
    Item item;
    item.pos = t.pos;
    switch (t.type) {
      case Tok::kBlock: item.node = BlockControl(); return item;
      case Tok::kTemplate: item.node = TemplateControl(); return item;
      case Tok::kBreak:
      case Tok::kContinue: {
        bool is_break = t.type == Tok::kBreak;
        const Token& close = NextNonSpace();
        if (close.type != Tok::kRightDelim) Unexpected(close, is_break ? "{{break}}" : "{{continue}}");
        if (range_depth_ == 0) Errorf(is_break ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
        item.node = std::make_unique<Node>(is_break ? NodeType::kBreak : NodeType::kContinue, item.pos);
        return item;
      }
      case Tok::kElse:
        item.kind = Item::Kind::kElse;
        if (PeekNonSpace().type != Tok::kIf) Expect(Tok::kRightDelim, "else");
        return item;
      case Tok::kEnd:
        item.kind = Item::Kind::kEnd;
        Expect(Tok::kRightDelim, "end");
        return item;
      case Tok::kIf: item.node = Control(NodeType::kIf, "if"); return item;
      case Tok::kRange: item.node = Control(NodeType::kRange, "range"); return item;
      case Tok::kWith: item.node = Control(NodeType::kWith, "with"); return item;
      default: break;
    }
    Backup();
    auto action = std::make_unique<Node>(NodeType::kAction, Peek().pos);
    action->pipe = Pipeline("command", Tok::kRightDelim);
    item.node = std::move(action);
    return item;
  }

  // {{if|with|range pipeline}} list [{{else}} list | {{else if ...}}] {{end}}
  NodePtr Control(NodeType type, const std::string& context) {
    Enter();
    size_t vars_mark = vars_.size();
    auto node = std::make_unique<Node>(type, Peek().pos);
    node->pipe = Pipeline(context, Tok::kRightDelim);
    if (type == NodeType::kRange) ++range_depth_;
    Item next;
    node->body = ItemList(&next);
    if (type == NodeType::kRange) --range_depth_;
    if (next.kind == Item::Kind::kElse) {
      if (type == NodeType::kIf && Peek().type == Tok::kIf) {
        // "{{else if ...}}" is "{{else}}{{if ...}}...{{end}}{{end}}" sharing the one {{end}}.
        Next();
        node->else_body = std::make_unique<Node>(NodeType::kList, next.pos);
        node->else_body->children.push_back(Control(NodeType::kIf, "if"));
      } else {
        Item end;
        node->else_body = ItemList(&end);
        if (end.kind != Item::Kind::kEnd) Errorf("expected end; found {{else}}");
      }
    }
    vars_.resize(vars_mark);
    --depth_;
    return node;
  }

  NodePtr ItemList(Item* terminator) {
    auto list = std::make_unique<Node>(NodeType::kList, PeekNonSpace().pos);
    while (PeekNonSpace().type != Tok::kEOF) {
      Item item = TextOrAction();
      if (item.kind != Item::Kind::kNode) {
        *terminator = std::move(item);
        return list;
      }
      list->children.push_back(std::move(item.node));
    }
    Errorf("unexpected EOF");
  }

  NodePtr Pipeline(const std::string& context, Tok end) {
    auto pipe = std::make_unique<Node>(NodeType::kPipe, PeekNonSpace().pos);
    while (PeekNonSpace().type == Tok::kVariable) {  // declarations
      size_t save = i_;
      const Token v = Next();
      const Token& next = PeekNonSpace();
      auto decl = [&] {
        auto var = std::make_unique<Node>(NodeType::kVariable, v.pos);
        var->idents.push_back(v.val);
        pipe->decl.push_back(std::move(var));
        vars_.push_back(v.val);
      };
      if (next.type == Tok::kAssign || next.type == Tok::kDeclare) {
        pipe->is_assign = next.type == Tok::kAssign;
        NextNonSpace();
        decl();
        break;
      }
      if (next.type == Tok::kChar && next.val == ",") {
        NextNonSpace();
        decl();
        if (context == "range" && pipe->decl.size() < 2) {
          Tok t = PeekNonSpace().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) continue;
          Errorf("range can only initialize variables");
        }
        Errorf("too many declarations in " + context);
      }
      i_ = save;
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) {
        if (pipe->children.empty()) Errorf("missing value for " + context);
        for (size_t k = 1; k < pipe->children.size(); ++k) {
          NodeType first = pipe->children[k]->children[0]->type;
          if (first == NodeType::kBool || first == NodeType::kDot || first == NodeType::kNil ||
              first == NodeType::kNumber || first == NodeType::kString) {
            Errorf("non executable command in pipeline stage " + std::to_string(k + 1));
          }
        }
        return pipe;
      }
      switch (t.type) {
        case Tok::kBool: case Tok::kCharConstant: case Tok::kDot: case Tok::kField: case Tok::kIdentifier:
        case Tok::kNumber: case Tok::kNil: case Tok::kRawString: case Tok::kString: case Tok::kVariable:
        case Tok::kLeftParen:
          Backup();
          pipe->children.push_back(Command());
          break;
        default:
          Unexpected(t, context);
      }
    }
  }

  NodePtr Command() {
    auto cmd = std::make_unique<Node>(NodeType::kCommand, PeekNonSpace().pos);
    while (true) {
      PeekNonSpace();
      if (NodePtr operand = Operand()) cmd->children.push_back(std::move(operand));
      const Token& t = Next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->children.empty()) Errorf("empty command");
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (!node) return nullptr;
    if (Peek().type == Tok::kField) {
      auto chain = std::make_unique<Node>(NodeType::kChain, Peek().pos);
      std::vector<std::string> fields;
      while (Peek().type == Tok::kField) fields.push_back(Next().val.substr(1));
      switch (node->type) {
        case NodeType::kField:
        case NodeType::kVariable:
          for (auto& f : fields) node->idents.push_back(std::move(f));
          return node;
        case NodeType::kBool: case NodeType::kString: case NodeType::kNumber: case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + GoQuote(NodeString(*node)));
        default:
          chain->idents = std::move(fields);
          chain->body = std::move(node);
          return chain;
      }
    }
    return node;
  }

  NodePtr Term() {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kIdentifier: {
        if (FindFunction(t.val) == nullptr) Errorf("function " + GoQuote(t.val) + " not defined");
        auto n = std::make_unique<Node>(NodeType::kIdentifier, t.pos);
        n->text = t.val;
        return n;
      }
      case Tok::kDot: return std::make_unique<Node>(NodeType::kDot, t.pos);
      case Tok::kNil: return std::make_unique<Node>(NodeType::kNil, t.pos);
      case Tok::kVariable: {
        auto n = std::make_unique<Node>(NodeType::kVariable, t.pos);
        Split(t.val, &n->idents);
        bool known = false;
        for (const auto& v : vars_) known = known || v == n->idents[0];
        if (!known) Errorf("undefined variable " + GoQuote(n->idents[0]));
        return n;
      }
      case Tok::kField: {
        auto n = std::make_unique<Node>(NodeType::kField, t.pos);
        Split(t.val.substr(1), &n->idents);
        return n;
      }
      case Tok::kBool: {
        auto n = std::make_unique<Node>(NodeType::kBool, t.pos);
        n->bool_val = t.val == "true";
        return n;
      }
      case Tok::kCharConstant:
      case Tok::kNumber: return Number(t);
      case Tok::kLeftParen: {
        Enter();
        NodePtr pipe = Pipeline("parenthesized pipeline", Tok::kRightParen);
        --depth_;
        return pipe;
      }
      case Tok::kString:
      case Tok::kRawString: {
        auto n = std::make_unique<Node>(NodeType::kString, t.pos);
        n->text = t.val;
        if (!Unquote(t.val, &n->str)) Errorf("invalid syntax");
        return n;
      }
      default:
        Backup();
        return nullptr;
    }
  }

  static void Split(std::string_view s, std::vector<std::string>* out) {
    size_t start = 0;
    while (true) {
      size_t dot = s.find('.', start);
      out->emplace_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
      if (dot == std::string_view::npos) return;
      start = dot + 1;
    }
  }

  NodePtr Number(const Token& t) {
    auto n = std::make_unique<Node>(NodeType::kNumber, t.pos);
    const std::string& s = t.val;
    n->text = s;
    if (t.type == Tok::kCharConstant) {
      int64_t r;
      if (!UnquoteChar(s, &r)) Errorf("malformed character constant: " + s);
      n->is_int = n->is_float = true;
      n->int_val = r;
      n->float_val = static_cast<double>(r);
      return n;
    }
    bool neg;
    uint64_t mag;
    bool has_float_chars = s.find_first_of(".eEpP") != std::string::npos;
    bool is_hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s.find_first_of("pP") == std::string::npos;
    if (ParseGoInt(s, &neg, &mag)) {
      if (!neg && mag > static_cast<uint64_t>(INT64_MAX)) {
        n->is_float = true;  // a uint64 only: usable as a float, not as an int
        n->float_val = static_cast<double>(mag);
      } else if (neg && mag > static_cast<uint64_t>(INT64_MAX) + 1) {
        Errorf("integer overflow: " + GoQuote(s));
      } else {
        n->is_int = n->is_float = true;
        n->int_val = neg ? static_cast<int64_t>(~mag + 1) : static_cast<int64_t>(mag);
        n->float_val = static_cast<double>(n->int_val);
      }
    } else {
      std::string clean;
      for (char c : s) {
        if (c != '_') clean.push_back(c);
      }
      char* end = nullptr;
      errno = 0;
      double f = std::strtod(clean.c_str(), &end);
      bool ok = end != nullptr && *end == '\0' && !clean.empty() && errno != ERANGE;
      if (ok) {
        if (!has_float_chars) Errorf("integer overflow: " + GoQuote(s));
        n->is_float = true;
        n->float_val = f;
        if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 && static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int_val = static_cast<int64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_float) Errorf("illegal number syntax: " + GoQuote(s));
    n->is_float_literal = n->is_float && !is_hex && has_float_chars;
    return n;
  }

  std::string_view name_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  int line_ = 1;
  int depth_ = 0;
  int range_depth_ = 0;
  std::vector<std::string> vars_ = {"$"};
  TreeSet trees_;
};

}  // namespace

TreeSet ParseTree(std::string_view name, std::string_view text) { return Parser(name, Lex(text)).Parse(); }

bool IsEmptyTree(const Node& n) {
  switch (n.type) {
    case NodeType::kList:
      for (const auto& c : n.children) {
        if (!IsEmptyTree(*c)) return false;
      }
      return true;
    case NodeType::kText:  // bytes.TrimSpace leaves nothing (ASCII white space)
      return n.text.find_first_not_of(" \t\n\v\f\r") == std::string::npos;
    default: return false;
  }
}

std::string NodeString(const Node& n) {
  auto join = [](const std::vector<std::string>& v, bool lead_dot) {
    std::string s;
    for (size_t k = 0; k < v.size(); ++k) {
      if (k > 0 || lead_dot) s.push_back('.');
      s += v[k];
    }
    return s;
  };
  auto arg = [](const Node& a) {
    return a.type == NodeType::kPipe ? "(" + NodeString(a) + ")" : NodeString(a);
  };
  switch (n.type) {
    case NodeType::kText: return n.text;
    case NodeType::kAction: return "{{" + NodeString(*n.pipe) + "}}";
    case NodeType::kIf:
    case NodeType::kWith:
    case NodeType::kRange: {
      std::string kw = n.type == NodeType::kIf ? "if" : n.type == NodeType::kWith ? "with" : "range";
      std::string s = "{{" + kw + " " + NodeString(*n.pipe) + "}}" + NodeString(*n.body);
      if (n.else_body) s += "{{else}}" + NodeString(*n.else_body);
      return s + "{{end}}";
    }
    case NodeType::kList: {
      std::string s;
      for (const auto& c : n.children) s += NodeString(*c);
      return s;
    }
    case NodeType::kBreak: return "{{break}}";
    case NodeType::kContinue: return "{{continue}}";
    case NodeType::kPipe: {
      std::string s;
      for (size_t k = 0; k < n.decl.size(); ++k) {
        if (k > 0) s += ", ";
        s += NodeString(*n.decl[k]);
      }
      if (!n.decl.empty()) s += n.is_assign ? " = " : " := ";
      for (size_t k = 0; k < n.children.size(); ++k) {
        if (k > 0) s += " | ";
        s += NodeString(*n.children[k]);
      }
      return s;
    }
    case NodeType::kCommand: {
      std::string s;
      for (size_t k = 0; k < n.children.size(); ++k) {
        if (k > 0) s += " ";
        s += arg(*n.children[k]);
      }
      return s;
    }
    case NodeType::kField: return join(n.idents, true);
    case NodeType::kVariable: return join(n.idents, false);
    case NodeType::kChain: return arg(*n.body) + join(n.idents, true);
    case NodeType::kIdentifier: return n.text;
    case NodeType::kDot: return ".";
    case NodeType::kNil: return "nil";
    case NodeType::kBool: return n.bool_val ? "true" : "false";
    case NodeType::kNumber: return n.text;
    case NodeType::kString: return n.text;
    case NodeType::kTemplate: return "{{template " + GoQuote(n.text) + (n.pipe ? " " + NodeString(*n.pipe) : "") + "}}";
  }
  return "";
}

}  // namespace gnomon::gotemplate::tmpl
