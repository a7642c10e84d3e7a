// The template executor: Go's text/template/exec.go over the tree from ParseTree, with
// missingkey=zero. Run-time errors read like Go's: "template: NAME:LINE:COL: executing "NAME" at
// <NODE>: MESSAGE", where LINE:COL locate the node being evaluated and the quoted NAME is the
// template being executed (a {{define}}d one inside a {{template}} call), as in Go.
#include <string>
#include <utility>

#include "gotemplate/template_internal.h"

namespace gnomon::gotemplate::tmpl {
namespace {

const char* ParamName(Param p) {
  switch (p) {
    case Param::kAny: return "interface {}";
    case Param::kString: return "string";
    case Param::kFloat: return "float64";
    case Param::kSample: return "*template.sample";
    case Param::kSamples: return "template.queryResult";
  }
  return "?";
}

class Executor {
 public:
  Executor(std::string_view name, std::string_view text, const TreeSet& trees, const TemplateData& data,
           const QueryFunc& query)
      : name_(name), tmpl_name_(name), text_(text), trees_(trees), state_(data, query) {
    root_.kind = Value::Kind::kData;
    root_.data = &data;
  }

  std::string Run() {
    auto it = trees_.find(name_);
    if (it == trees_.end()) Errorf("no template " + GoQuote(name_));
    vars_.emplace_back("$", root_);
    Walk(root_, *it->second);
    return std::move(out_);
  }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  using Args = std::vector<NodePtr>;

  [[noreturn, gnu::noinline, gnu::cold]] void Errorf(const std::string& msg) {
    if (node_ == nullptr) throw TemplateError{"template: " + std::string(tmpl_name_) + ": " + msg};
    size_t pos = std::min(node_->pos, text_.size());
    std::string_view before = text_.substr(0, pos);
    size_t nl = before.rfind('\n');
    size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
    size_t line = 1;
    for (char c : before) line += c == '\n';
    throw TemplateError{"template: " + std::string(name_) + ":" + std::to_string(line) + ":" + std::to_string(col) +
                        ": executing " + GoQuote(tmpl_name_) + " at <" + NodeString(*node_) + ">: " + msg};
  }
  void At(const Node& n) { node_ = &n; }

  void Write(std::string_view s) {
    if (out_.size() + s.size() > kMaxOutputBytes) TooMuchOutput();
    out_.append(s);
  }
  [[noreturn, gnu::noinline]] void TooMuchOutput() {
    Errorf("template output exceeds " + std::to_string(kMaxOutputBytes) + " bytes");
  }

  // ---- variables (those of the template being executed are vars_[var_base_..])
  void Push(const std::string& name, Value v) { vars_.emplace_back(name, std::move(v)); }
  void SetVar(const std::string& name, Value v) {
    for (size_t k = vars_.size(); k-- > var_base_;) {
      if (vars_[k].first == name) {
        vars_[k].second = std::move(v);
        return;
      }
    }
    Errorf("undefined variable: " + name);
  }
  Value VarValue(const std::string& name) {
    for (size_t k = vars_.size(); k-- > var_base_;) {
      if (vars_[k].first == name) return vars_[k].second;
    }
    Errorf("undefined variable: " + name);
  }

  // ---- statements
  // Walk is only a dispatcher and each statement kind has a function of its own, kept out of
  // line, so that the frames on a deep recursion's path stay small (see kMaxExecDepth).
  Flow Walk(const Value& dot, const Node& n) {
    switch (n.type) {
      case NodeType::kAction: WalkAction(dot, n); return Flow::kNormal;
      case NodeType::kBreak: return Flow::kBreak;
      case NodeType::kContinue: return Flow::kContinue;
      case NodeType::kIf:
      case NodeType::kWith: return WalkIfOrWith(dot, n);
      case NodeType::kTemplate: WalkTemplate(dot, n); return Flow::kNormal;
      case NodeType::kList:
        for (const auto& c : n.children) {
          Flow f = Walk(dot, *c);
          if (f != Flow::kNormal) return f;
        }
        return Flow::kNormal;
      case NodeType::kRange: return WalkRange(dot, n);
      case NodeType::kText: Write(n.text); return Flow::kNormal;
      default: UnknownNode(n);
    }
  }

  [[noreturn, gnu::noinline]] void UnknownNode(const Node& n) {
    At(n);
    Errorf("unknown node: " + NodeString(n));
  }

  [[gnu::noinline]] void WalkAction(const Value& dot, const Node& n) {
    Value v = EvalPipeline(dot, *n.pipe);
    if (n.pipe->decl.empty()) {
      At(n);
      Write(PrintValue(v));
    }
  }

  [[gnu::noinline]] Flow WalkIfOrWith(const Value& dot, const Node& n) {
    size_t mark = vars_.size();
    Value v = EvalPipeline(dot, *n.pipe);
    Flow f = Flow::kNormal;
    EnterExec(n);
    if (IsTrue(v)) {
      f = Walk(n.type == NodeType::kWith ? v : dot, *n.body);
    } else if (n.else_body) {
      f = Walk(dot, *n.else_body);
    }
    --exec_depth_;
    vars_.resize(mark);
    return f;
  }

  // One more level of execution nesting (a template call, or the body of an if/with/range).
  void EnterExec(const Node& n) {
    if (exec_depth_ >= kMaxExecDepth) TooDeep(n);
    ++exec_depth_;
  }

  [[noreturn, gnu::noinline]] void TooDeep(const Node& n) {
    At(n);
    Errorf("exceeded maximum template depth (" + std::to_string(kMaxExecDepth) + ")");
  }

  [[noreturn, gnu::noinline]] void NotDefined(const Node& t) { Errorf("template " + GoQuote(t.text) + " not defined"); }

  // Go's walkTemplate: the named template runs with dot set to the pipeline's value (nil without
  // one) and sees only "$" (= that dot): no dynamic scoping. Variables the pipeline declares
  // stay in the caller's scope.
  [[gnu::noinline]] void WalkTemplate(const Value& dot, const Node& t) {
    At(t);
    auto it = trees_.find(t.text);
    if (it == trees_.end()) NotDefined(t);
    EnterExec(t);
    Value new_dot = t.pipe ? EvalPipeline(dot, *t.pipe) : Value::Nil();
    size_t outer_base = std::exchange(var_base_, vars_.size());
    std::string_view outer_name = std::exchange(tmpl_name_, it->first);
    vars_.emplace_back("$", new_dot);
    Walk(new_dot, *it->second);
    vars_.resize(var_base_);
    var_base_ = outer_base;
    tmpl_name_ = outer_name;
    --exec_depth_;
  }

  [[gnu::noinline]] Flow WalkRange(const Value& dot, const Node& r) {
    At(r);
    size_t outer = vars_.size();
    Value v = EvalPipeline(dot, *r.pipe);
    EnterExec(r);
    size_t mark = vars_.size();
    const auto& decl = r.pipe->decl;
    bool stop = false;
    auto one = [&](Value index, const Value& elem) {
      if (!decl.empty()) vars_[mark - 1].second = elem;
      if (decl.size() > 1) vars_[mark - 2].second = std::move(index);
      Flow f = Walk(elem, *r.body);
      vars_.resize(mark);
      if (f == Flow::kBreak) stop = true;
    };
    size_t count = 0;
    switch (v.kind) {
      case Value::Kind::kSamples:
        for (size_t k = 0; k < v.samples->size() && !stop; ++k, ++count) {
          one(Value::Int(static_cast<int64_t>(k)), Value::Sample((*v.samples)[k]));
        }
        count = v.samples->size();
        break;
      case Value::Kind::kStringMap:
        for (auto it = v.smap->begin(); it != v.smap->end() && !stop; ++it) one(Value::String(it->first), Value::String(it->second));
        count = v.smap->size();
        break;
      case Value::Kind::kAnyMap:
        for (auto it = v.amap->begin(); it != v.amap->end() && !stop; ++it) one(Value::String(it->first), it->second);
        count = v.amap->size();
        break;
      case Value::Kind::kNil:
        break;
      default:
        At(r);
        Errorf("range can't iterate over " + PrintValue(v));
    }
    if (count == 0 && r.else_body) Walk(dot, *r.else_body);
    --exec_depth_;
    vars_.resize(outer);
    return Flow::kNormal;
  }

  // ---- expressions
  [[gnu::noinline]] Value EvalPipeline(const Value& dot, const Node& pipe) {
    At(pipe);
    Value value;
    bool have = false;
    for (const auto& cmd : pipe.children) {
      value = EvalCommand(dot, *cmd, have ? &value : nullptr);
      have = true;
    }
    for (const auto& var : pipe.decl) {
      if (pipe.is_assign) {
        SetVar(var->idents[0], value);
      } else {
        Push(var->idents[0], value);
      }
    }
    return value;
  }

  void NotAFunction(const Args& args, const Value* final) {
    if (args.size() > 1 || final != nullptr) Errorf("can't give argument to non-function " + NodeString(*args[0]));
  }

  Value EvalCommand(const Value& dot, const Node& cmd, const Value* final) {
    const Node& first = *cmd.children[0];
    switch (first.type) {
      case NodeType::kField: return EvalFieldNode(dot, first, cmd.children, final);
      case NodeType::kChain: return EvalChainNode(dot, first, cmd.children, final);
      case NodeType::kIdentifier: return EvalFunction(dot, first, cmd, cmd.children, 1, final);
      case NodeType::kPipe: NotAFunction(cmd.children, final); return EvalPipeline(dot, first);
      case NodeType::kVariable: return EvalVariableNode(dot, first, cmd.children, final);
      default: break;
    }
    At(first);
    NotAFunction(cmd.children, final);
    switch (first.type) {
      case NodeType::kBool: return Value::Bool(first.bool_val);
      case NodeType::kDot: return dot;
      case NodeType::kNil: Errorf("nil is not a command");
      case NodeType::kNumber: return IdealConstant(first);
      case NodeType::kString: return Value::String(first.str);
      default: Errorf("can't evaluate command " + GoQuote(NodeString(first)));
    }
  }

  Value IdealConstant(const Node& n) {
    At(n);
    if (n.is_float_literal) return Value::Float(n.float_val);
    if (n.is_int) return Value::Int(n.int_val);
    Errorf(n.text + " overflows int");
  }

  Value EvalFieldNode(const Value& dot, const Node& field, const Args& args, const Value* final) {
    At(field);
    return EvalFieldChain(dot, field, field.idents, 0, args, final);
  }

  Value EvalChainNode(const Value& dot, const Node& chain, const Args& args, const Value* final) {
    At(chain);
    if (chain.body->type == NodeType::kNil) Errorf("indirection through explicit nil in " + NodeString(chain));
    Value receiver = EvalArg(dot, Param::kAny, *chain.body);
    return EvalFieldChain(receiver, chain, chain.idents, 0, args, final);
  }

  Value EvalVariableNode(const Value& dot, const Node& var, const Args& args, const Value* final) {
    (void)dot;
    At(var);
    Value v = VarValue(var.idents[0]);
    if (var.idents.size() == 1) {
      NotAFunction(args, final);
      return v;
    }
    return EvalFieldChain(v, var, var.idents, 1, args, final);
  }

  Value EvalFieldChain(Value receiver, const Node& node, const std::vector<std::string>& idents, size_t from,
                       const Args& args, const Value* final) {
    static const Args kNoArgs;
    for (size_t k = from; k + 1 < idents.size(); ++k) receiver = EvalField(idents[k], node, kNoArgs, nullptr, receiver);
    return EvalField(idents.back(), node, args, final, receiver);
  }

  Value EvalField(const std::string& name, const Node& node, const Args& args, const Value* final,
                  const Value& receiver) {
    (void)node;
    if (receiver.kind == Value::Kind::kNil) return Value::Nil();
    bool has_args = args.size() > 1 || final != nullptr;
    auto no_args = [&] {
      if (has_args) Errorf(name + " has arguments but cannot be invoked as function");
    };
    switch (receiver.kind) {
      case Value::Kind::kData: {
        const TemplateData& d = *receiver.data;
        if (name == "Labels") return no_args(), Value::Map(std::shared_ptr<const StringMap>(std::shared_ptr<const StringMap>(), &d.labels));
        if (name == "ExternalLabels") {
          no_args();
          return Value::Map(std::shared_ptr<const StringMap>(std::shared_ptr<const StringMap>(), &d.external_labels));
        }
        if (name == "ExternalURL") return no_args(), Value::String(d.external_url);
        if (name == "Value") return no_args(), Value::Float(d.value);
        break;
      }
      case Value::Kind::kSample:
        if (!receiver.sample) Errorf("nil pointer evaluating " + TypeName(receiver) + "." + name);
        if (name == "Labels") {
          no_args();
          return Value::Map(std::shared_ptr<const StringMap>(receiver.sample, &receiver.sample->labels));
        }
        if (name == "Value") return no_args(), Value::Float(receiver.sample->value);
        break;
      case Value::Kind::kTime:
        if (name == "Unix" || name == "UnixMilli") {
          if (has_args) Errorf("wrong number of args for " + name + ": want 0 got " + std::to_string(args.size() - 1 + (final ? 1 : 0)));
          int64_t secs = receiver.i / 1000000000 - (receiver.i % 1000000000 < 0 ? 1 : 0);
          return Value::Int(name == "Unix" ? secs : receiver.i / 1000000 - (receiver.i % 1000000 < 0 ? 1 : 0));
        }
        if (name == "String") return Value::String(GoTimeString(receiver.i));
        break;
      case Value::Kind::kStringMap: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        auto it = receiver.smap->find(name);
        return Value::String(it == receiver.smap->end() ? "" : it->second);
      }
      case Value::Kind::kAnyMap: {
        if (has_args) Errorf(name + " is not a method but has arguments");
        auto it = receiver.amap->find(name);
        return it == receiver.amap->end() ? Value::Nil() : it->second;
      }
      default: break;
    }
    std::string type = TypeName(receiver);
    if (receiver.kind == Value::Kind::kSample) type = "template.sample";
    if (receiver.kind == Value::Kind::kTime) type = "*time.Time";
    Errorf("can't evaluate field " + name + " in type " + type);
  }

  // `args[first_arg..]` are the arguments (args[0] is the function's name in a command).
  Value EvalFunction(const Value& dot, const Node& ident, const Node& cmd, const Args& args, size_t first_arg,
                     const Value* final) {
    At(ident);
    const FuncSpec* fn = FindFunction(ident.text);
    if (fn == nullptr) Errorf(GoQuote(ident.text) + " is not a defined function");
    const std::string& name = ident.text;
    size_t nargs = args.size() > first_arg ? args.size() - first_arg : 0;
    size_t num_in = nargs + (final ? 1 : 0);
    size_t fixed = fn->params.size();
    if (fn->variadic ? num_in < fixed : num_in != fixed) {
      Errorf("wrong number of args for " + name + ": want " + (fn->variadic ? "at least " : "") + std::to_string(fixed) +
             " got " + std::to_string(num_in));
    }
    if (name == "and" || name == "or") {
      Value v;
      for (size_t k = 0; k < nargs; ++k) {
        v = EvalArg(dot, Param::kAny, *args[first_arg + k]);
        if (IsTrue(v) == (name == "or")) return v;
      }
      if (final) v = *final;
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(num_in);
    for (size_t k = 0; k < nargs; ++k) {
      Param p = k < fixed ? fn->params[k] : fn->variadic_param;
      argv.push_back(EvalArg(dot, p, *args[first_arg + k]));
    }
    if (final) {
      Param p = (!fn->variadic || num_in - 1 < fixed) ? fn->params[num_in - 1] : fn->variadic_param;
      argv.push_back(ValidateType(*final, p));
    }
    std::string error;
    Value result = fn->fn(state_, argv, &error);
    if (!error.empty()) {
      At(cmd);
      Errorf("error calling " + name + ": " + error);
    }
    if (result.is_string_kind() && result.s.size() > kMaxOutputBytes) {
      At(cmd);
      Errorf("error calling " + name + ": result exceeds " + std::to_string(kMaxOutputBytes) + " bytes");
    }
    return result;
  }

  Value EvalArg(const Value& dot, Param p, const Node& n) {
    At(n);
    static const Args kNoArgs;
    switch (n.type) {
      case NodeType::kDot: return ValidateType(dot, p);
      case NodeType::kNil:
        if (p == Param::kAny) return Value::Nil();
        if (p == Param::kSample) return Value::Sample(nullptr);
        if (p == Param::kSamples) return Value::Samples(nullptr);
        Errorf(std::string("cannot assign nil to ") + ParamName(p));
      case NodeType::kField: {
        Value v = EvalFieldChain(dot, n, n.idents, 0, kNoArgs, nullptr);
        return ValidateType(v, p);
      }
      case NodeType::kVariable: return ValidateType(EvalVariableNode(dot, n, kNoArgs, nullptr), p);
      case NodeType::kPipe: return ValidateType(EvalPipeline(dot, n), p);
      case NodeType::kIdentifier: return ValidateType(EvalFunction(dot, n, n, kNoArgs, 0, nullptr), p);
      case NodeType::kChain: return ValidateType(EvalChainNode(dot, n, kNoArgs, nullptr), p);
      default: break;
    }
    switch (p) {
      case Param::kString:
        if (n.type == NodeType::kString) return Value::String(n.str);
        Errorf("expected string; found " + NodeString(n));
      case Param::kFloat:
        if (n.type == NodeType::kNumber && n.is_float) return Value::Float(n.float_val);
        Errorf("expected float; found " + NodeString(n));
      case Param::kAny:
        if (n.type == NodeType::kBool) return Value::Bool(n.bool_val);
        if (n.type == NodeType::kNumber) return IdealConstant(n);
        if (n.type == NodeType::kString) return Value::String(n.str);
        break;
      default: break;
    }
    Errorf("can't handle " + NodeString(n) + " for arg of type " + ParamName(p));
  }

  Value ValidateType(const Value& v, Param p) {
    if (p == Param::kAny) return v;
    if (v.kind == Value::Kind::kNil) {
      if (p == Param::kSample) return Value::Sample(nullptr);
      if (p == Param::kSamples) return Value::Samples(nullptr);
      Errorf(std::string("invalid value; expected ") + ParamName(p));
    }
    bool ok = (p == Param::kString && v.kind == Value::Kind::kString) ||
              (p == Param::kFloat && v.kind == Value::Kind::kFloat) ||
              (p == Param::kSample && v.kind == Value::Kind::kSample) ||
              (p == Param::kSamples && v.kind == Value::Kind::kSamples);
    if (!ok) Errorf(std::string("wrong type for value; expected ") + ParamName(p) + "; got " + TypeName(v));
    return v;
  }

  std::string_view name_;       // the parse name, for locations in errors
  std::string_view tmpl_name_;  // the template being executed
  std::string_view text_;
  const TreeSet& trees_;
  ExecState state_;
  Value root_;
  const Node* node_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
  size_t var_base_ = 0;  // where the variables of the template being executed start
  int exec_depth_ = 0;   // template calls and if/with/range bodies being executed (kMaxExecDepth)
  std::string out_;
};

}  // namespace

std::string Run(std::string_view name, std::string_view text, const TreeSet& trees, const TemplateData& data,
                const QueryFunc& query) {
  return Executor(name, text, trees, data, query).Run();
}

}  // namespace gnomon::gotemplate::tmpl
